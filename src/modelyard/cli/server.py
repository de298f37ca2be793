"""`modelyard server`: run the registry."""

from __future__ import annotations

import dataclasses

import click

from modelyard.errors import InvalidParameter
from modelyard.hostcheck import is_loopback


@click.command()
@click.option("--host", default=None, help="Bind address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 5000).")
@click.option("--home", default=None, help="Data folder of the embedded default.")
@click.option("--backend-store-uri", default=None, help="Database URL.")
@click.option("--artifacts-uri", "--artifacts-destination", default=None,
              help="Blob store: a folder (default <home>/blobs).")
@click.option("--proxy-artifacts", is_flag=True, default=None,
              help="Serve every artifact byte through the server (no presigned URLs).")
@click.option("--workers", type=int, default=None, help="Server processes (default 1).")
@click.option("--insecure", is_flag=True,
              help="Allow binding beyond loopback without authentication.")
@click.option("--log-level", default=None,
              type=click.Choice(["critical", "error", "warning", "info", "debug", "trace"],
                                case_sensitive=False),
              help="Server log level (default info, or $MODELYARD_LOG_LEVEL).")
@click.option("--access-log", is_flag=True, default=None,
              help="Log one line per request: method, path, status, duration, request id.")
@click.option("--allow-webhook-hosts", default=None,
              help="Comma-separated hosts, addresses or networks webhooks may reach besides "
                   "public addresses (e.g. 127.0.0.1 or 10.0.0.0/8).")
@click.option("--oidc-issuer", default=None,
              help="Single sign-on: the OpenID Connect issuer URL.")
@click.option("--oidc-client-id", default=None, help="The registry's OIDC client id.")
@click.option("--oidc-client-secret-file", default=None,
              help="File holding the OIDC client secret (browser login).")
@click.option("--oidc-audience", default=None,
              help="The aud an access token must carry (default: the client id).")
@click.option("--oidc-groups-claim", default=None,
              help="Token claim listing the user's groups (default 'groups').")
@click.option("--oidc-allow-loopback", is_flag=True, default=None,
              help="Allow an issuer on loopback or over plain http (tests).")
@click.option("--trusted-proxy-header", default=None,
              help="Header naming the user, set by an authenticating reverse proxy.")
@click.option("--trusted-proxies", default=None,
              help="Comma-separated networks (CIDR) whose proxy header is trusted.")
@click.option("--public-url", default=None,
              help="The https://... address users reach the registry at, behind a proxy.")
def server(host: str | None, port: int | None, home: str | None,
           backend_store_uri: str | None, artifacts_uri: str | None, workers: int | None,
           insecure: bool, log_level: str | None, **more: str | bool | None) -> None:
    """Run the registry server (REST API, MLflow-compatible API)."""
    import uvicorn
    import uvicorn.config
    from uvicorn.supervisors import Multiprocess

    from modelyard.config import Settings
    from modelyard.extras import check_backend_dependencies
    from modelyard.server.access_log import log_config
    from modelyard.server.asgi import ServerApp
    from modelyard.server.origin import check_public_url
    from modelyard.services import start_up, users_defined
    from modelyard.errors import redact_url
    from modelyard.store.engine import redact

    overrides = {"host": host, "port": port, "home": home, "backend_store_uri": backend_store_uri,
                 "artifacts_uri": artifacts_uri, "workers": workers, "log_level": log_level, **more}
    settings = Settings.load(overrides)
    try:
        settings = dataclasses.replace(settings, public_url=check_public_url(settings.public_url))
    except ValueError as e:
        raise InvalidParameter(str(e)) from None
    check_backend_dependencies(settings.database_url, settings.artifacts_uri)
    # Once here, before any worker opens the store (workers only check the schema).
    start_up(settings)
    # An SSO configuration counts as users: nobody acts as the local admin then.
    auth_on = users_defined(settings) or bool(settings.sso_modes)
    if not is_loopback(settings.host) and not auth_on and not insecure:
        raise InvalidParameter(
            f"refusing to listen on {settings.host}: no users are defined, so anyone could "
            "act as admin; create one (modelyard --uri <database> users create NAME --admin) "
            "or pass --insecure")
    if not is_loopback(settings.host) and not settings.allowed_hosts:
        # Beyond loopback on purpose: any Host header (with auth on, or --insecure).
        settings = dataclasses.replace(settings, allowed_hosts="*")
    mode = "auth: tokens and passwords required" if auth_on else "open: no users defined"
    if settings.sso_modes:
        mode += "; single sign-on: " + ", ".join(settings.sso_modes)
    click.echo(f"modelyard serving on http://{settings.host}:{settings.port} "
               f"(metadata: {redact(settings.database_url)}, blobs: {redact_url(settings.blob_root)}; "
               f"{mode})", err=True)
    # Each worker gets the resolved settings as an argument (the app factory is pickled
    # into the worker process), never through the environment.
    config = uvicorn.Config(ServerApp(settings), factory=True, host=settings.host,
                            port=settings.port, workers=settings.workers,
                            log_level=settings.log_level, access_log=False,
                            log_config=log_config(uvicorn.config.LOGGING_CONFIG,
                                                  settings.log_level, settings.access_log),
                            proxy_headers=False, server_header=False)
    if settings.workers <= 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
