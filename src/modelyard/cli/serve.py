"""`modelyard serve`: answer predictions for a registry version, alias or model folder."""

from __future__ import annotations

import click


@click.command()
@click.argument("target")
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address.")
@click.option("--port", type=int, default=8080, show_default=True, help="Port to listen on.")
@click.option("--route", "routes", multiple=True, metavar="ALIAS=WEIGHT",
              help="Split traffic between aliases (or versions) of the model, e.g. "
                   "--route production=90 --route challenger=10.")
@click.option("--shadow", metavar="ALIAS",
              help="Send a copy of each request to this alias; its answers are dropped.")
@click.option("--trust-pickle", is_flag=True,
              help="Allow models that need pickle/cloudpickle to load (they can run code).")
@click.option("--batch-window-ms", type=float, default=2.0, show_default=True,
              help="Longest a request waits for others to be batched with it.")
@click.option("--max-batch-rows", type=int, default=256, show_default=True,
              help="Most rows predicted in one model call.")
@click.option("--max-body-bytes", type=int, default=20 * 1024 * 1024, show_default=True,
              help="Largest request body accepted.")
@click.option("--poll-seconds", type=float, default=2.0, show_default=True,
              help="How often aliases and stages are checked for a new version.")
@click.option("--no-follow", is_flag=True,
              help="Serve what aliases point at now; do not follow them.")
@click.option("--heartbeat-seconds", type=float, default=10.0, show_default=True,
              help="How often the deployment is reported alive to the registry (one "
                   "silent for its deployment timeout is ended).")
@click.option("--endpoint", default=None,
              help="URL recorded with the deployment (default http://HOST:PORT).")
@click.option("--environment", default="", help="Recorded with the deployment.")
@click.option("--require-token", is_flag=True,
              help="Scoring needs Authorization: Bearer <token> (or Basic user and "
                   "token) of a registry user who may read the model; then HOST may be "
                   "beyond loopback.")
@click.option("--insecure", is_flag=True,
              help="Allow binding beyond loopback without --require-token (scoring has "
                   "no authentication).")
@click.option("--log-level", default="warning", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"],
                                case_sensitive=False),
              help="Log level of the scoring server.")
@click.pass_context
def serve(ctx: click.Context, target: str, host: str, port: int, routes: tuple[str, ...],
          shadow: str | None, trust_pickle: bool, batch_window_ms: float,
          max_batch_rows: int, max_body_bytes: int, poll_seconds: float, no_follow: bool,
          heartbeat_seconds: float, endpoint: str | None, environment: str,
          require_token: bool, insecure: bool, log_level: str) -> None:
    """Serve TARGET: models:/NAME@ALIAS, NAME/VERSION, NAME/STAGE or a model folder.

    POST /invocations takes MLflow's payloads; /v2/models/NAME/infer speaks the Open
    Inference Protocol; /metrics is Prometheus.  Aliases and stages are followed: when
    one moves, the new version is loaded in the background and swapped in."""
    import logging
    from pathlib import Path

    from modelyard.cli.context import client
    from modelyard.client.uri import check_folder_target
    from modelyard.hostcheck import is_loopback
    from modelyard.log_format import SafeFormatter
    from modelyard.errors import InvalidParameter
    from modelyard.serving import ServeConfig, run
    from modelyard.serving.config import parse_route

    check_folder_target(target)
    if not is_loopback(host) and not insecure and not require_token:
        raise InvalidParameter(f"refusing to listen on {host}: the scoring endpoints have no "
                               "authentication; pass --require-token, or --insecure to do "
                               "it anyway (behind a gateway that authenticates)")

    config = ServeConfig(
        target=target, routes=tuple(parse_route(r) for r in routes), shadow=shadow,
        host=host, port=port, trust_pickle=trust_pickle, batch_window_ms=batch_window_ms,
        max_batch_rows=max_batch_rows, max_body_bytes=max_body_bytes,
        poll_seconds=poll_seconds, follow=not no_follow, endpoint=endpoint,
        environment=environment, heartbeat_seconds=heartbeat_seconds,
        require_token=require_token)
    handler = logging.StreamHandler()
    # Exceptions (a model's failure included) as one line of where, never a traceback.
    handler.setFormatter(SafeFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    ours = logging.getLogger("modelyard")
    ours.addHandler(handler)
    ours.setLevel(log_level.upper())
    local = not target.startswith("models:/") and Path(target).is_dir()
    if require_token and local:
        raise InvalidParameter("--require-token checks callers against the registry: it "
                               "needs a registry reference, not a model folder")
    registry = None if local else client(ctx)
    if require_token and registry is not None and registry.whoami().get("open"):
        raise InvalidParameter("--require-token needs a registry with users (this one runs "
                               "open: no credential could be checked)")
    run(config, registry, log_level=log_level,
        announce=lambda url: click.echo(f"modelyard serving {target} on {url}", err=True))
