"""Settings: every knob declared once, typed, with its environment variable and help.

Precedence: explicit arguments (CLI flags) > ``MODELYARD_*`` environment > defaults.
Nothing else in the package reads ``os.environ``; the settings object is built once
and passed down.  ``docs/settings.md`` documents each field and a test keeps the two
in step.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["SETTINGS_HELP", "Settings", "client_token_from_env", "client_uri_from_env",
           "config_dir_from_env", "home_from_env", "registry_environ"]

DEFAULT_URI = "http://127.0.0.1:5000"


def _field(default: Any, env: str, help: str) -> Any:
    return dataclasses.field(default=default, metadata={"env": env, "help": help})


@dataclasses.dataclass(frozen=True)
class Settings:
    home: str = _field(
        "./modelyard-data",
        "MODELYARD_HOME",
        "Folder of the embedded default: the SQLite database and the blob store live here.",
    )
    backend_store_uri: str = _field(
        "",
        "MODELYARD_BACKEND_STORE_URI",
        "SQLAlchemy URL of the metadata store (sqlite:///, postgresql://, mysql://). "
        "Empty: sqlite in the home folder.",
    )
    artifacts_uri: str = _field(
        "",
        "MODELYARD_ARTIFACTS_URI",
        "Where blobs are stored: a local folder, file:// URL, "
        "s3://bucket/prefix[?endpoint_url=...&region=...&listing=off], "
        "gs://bucket/prefix[?project=...&listing=off] "
        "or azure://container/prefix?account=NAME (credentials from the usual AWS, Google "
        "or Azure sources). Empty: <home>/blobs.",
    )
    host: str = _field("127.0.0.1", "MODELYARD_HOST", "Address the server binds to.")
    port: int = _field(5000, "MODELYARD_PORT", "Port the server listens on.")
    workers: int = _field(1, "MODELYARD_WORKERS", "Number of server processes.")
    allowed_hosts: str = _field(
        "",
        "MODELYARD_ALLOWED_HOSTS",
        "Comma-separated Host names the server answers besides loopback names and its "
        "bind address (against DNS rebinding); '*' accepts any.",
    )
    max_upload_size: int = _field(
        50 * 1024**3,
        "MODELYARD_MAX_UPLOAD_SIZE",
        "Largest single blob, in bytes, the server accepts (default 50 GiB).",
    )
    proxy_artifacts: bool = _field(
        False,
        "MODELYARD_PROXY_ARTIFACTS",
        "Send every artifact byte through the server: no presigned storage URLs are "
        "handed out. Off (default): with object storage (S3, GCS, Azure) clients upload "
        "and download by short-lived presigned URLs, straight to and from the storage, "
        "and fall back to the server when they cannot reach it.",
    )
    max_request_json: int = _field(
        32 * 1024**2,
        "MODELYARD_MAX_REQUEST_JSON",
        "Largest JSON request body, in bytes.",
    )
    auto_migrate: bool = _field(
        True,
        "MODELYARD_AUTO_MIGRATE",
        "Upgrade the database schema when the server starts and when the embedded default "
        "is first opened (under a database lock, so servers may start together). Off: the "
        "schema is upgraded only by `modelyard db upgrade`, and a database not at the "
        "newest schema is refused.",
    )
    gc_grace_seconds: int = _field(
        24 * 3600,
        "MODELYARD_GC_GRACE_SECONDS",
        "Age below which unreferenced blobs and soft-deleted rows are never collected.",
    )
    stale_upload_seconds: int = _field(
        900,
        "MODELYARD_STALE_UPLOAD_SECONDS",
        "A partial upload (temporary file, or S3 multipart upload) that received no bytes "
        "for this long is abandoned: removed at server start-up and by gc.",
    )
    upload_session_seconds: int = _field(
        24 * 3600,
        "MODELYARD_UPLOAD_SESSION_SECONDS",
        "How long a multipart upload session may be resumed; an expired one is aborted "
        "(its parts removed) by gc.",
    )
    presign_seconds: int = _field(
        900,
        "MODELYARD_PRESIGN_SECONDS",
        "Lifetime of a presigned part URL (to the storage, or to the server's part route).",
    )
    deployment_timeout_seconds: int = _field(
        60,
        "MODELYARD_DEPLOYMENT_TIMEOUT_SECONDS",
        "A deployment whose `modelyard serve` process has not sent a heartbeat for this "
        "long (the process is gone) is ended by the registry, the next time deployments "
        "or the lineage are read.",
    )
    log_level: str = _field("info", "MODELYARD_LOG_LEVEL", "Server log level.")
    access_log: bool = _field(
        False,
        "MODELYARD_ACCESS_LOG",
        "Log one line per request at info level: client address, method, path (never the "
        "query string), status, duration and request id.",
    )
    oidc_issuer: str = _field(
        "",
        "MODELYARD_OIDC_ISSUER",
        "Single sign-on: the OpenID Connect issuer URL (its discovery document is at "
        "<issuer>/.well-known/openid-configuration). Empty: OIDC is off.",
    )
    oidc_client_id: str = _field(
        "", "MODELYARD_OIDC_CLIENT_ID", "The registry's OIDC client id at the issuer.")
    oidc_client_secret_file: str = _field(
        "",
        "MODELYARD_OIDC_CLIENT_SECRET_FILE",
        "File holding the OIDC client secret (for the browser login's code exchange); "
        "the secret itself is never a setting, a flag or a log line.",
    )
    oidc_audience: str = _field(
        "",
        "MODELYARD_OIDC_AUDIENCE",
        "The `aud` an access token (Authorization: Bearer <JWT>) must carry. Empty: "
        "the client id.",
    )
    oidc_groups_claim: str = _field(
        "groups",
        "MODELYARD_OIDC_GROUPS_CLAIM",
        "Claim of the token listing the user's groups (grants to groups apply); empty: "
        "groups are not taken from the provider.",
    )
    oidc_allow_loopback: bool = _field(
        False,
        "MODELYARD_OIDC_ALLOW_LOOPBACK",
        "Allow an issuer (and its endpoints) on a loopback or link-local address, and "
        "over plain http (tests, a provider on the same machine). Off: https and a "
        "non-loopback address are required.",
    )
    trusted_proxy_header: str = _field(
        "",
        "MODELYARD_TRUSTED_PROXY_HEADER",
        "Request header (e.g. X-Forwarded-User) naming the user, set by an "
        "authenticating reverse proxy; honoured only from --trusted-proxies. Empty: off.",
    )
    trusted_proxies: str = _field(
        "",
        "MODELYARD_TRUSTED_PROXIES",
        "Comma-separated networks (CIDR) of the reverse proxies whose user header is "
        "trusted; the header from any other peer address is ignored.",
    )
    secret_key_file: str = _field(
        "",
        "MODELYARD_SECRET_KEY_FILE",
        "File with the key (32 random bytes, base64) that seals stored secrets, such as "
        "webhook signing secrets, and signs the ClearML API's login tokens. Empty: "
        "<home>/secret.key, made on first start. Every server of one database must use "
        "the same file.",
    )
    public_url: str = _field(
        "",
        "MODELYARD_PUBLIC_URL",
        "The address users reach the registry at (e.g. https://models.example.com) when "
        "a reverse proxy stands in front: the OIDC redirect is built from it, and cookies "
        "are marked Secure when it is https. Empty: each request's own scheme and host.",
    )
    session_hours: int = _field(
        12, "MODELYARD_SESSION_HOURS", "Lifetime of a browser session (cookie), in hours.")
    allow_webhook_hosts: str = _field(
        "",
        "MODELYARD_ALLOW_WEBHOOK_HOSTS",
        "Comma-separated host names, addresses or networks (CIDR) webhooks may be sent to "
        "besides public addresses; loopback, private, link-local and metadata addresses "
        "are refused otherwise.",
    )
    webhook_timeout_seconds: int = _field(
        10, "MODELYARD_WEBHOOK_TIMEOUT_SECONDS", "Time a receiver has to answer one attempt.")
    webhook_retry_seconds: int = _field(
        3600,
        "MODELYARD_WEBHOOK_RETRY_SECONDS",
        "A failed delivery is retried, with exponential backoff, until it is this old.",
    )
    webhook_backoff_ms: int = _field(
        1000,
        "MODELYARD_WEBHOOK_BACKOFF_MS",
        "Wait before the first retry of a delivery; it doubles at every further attempt.",
    )
    webhook_worker: bool = _field(
        True,
        "MODELYARD_WEBHOOK_WORKER",
        "Run the webhook delivery worker in each server process (off: this server "
        "delivers nothing; another one must).",
    )

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.type, raw, f.metadata["env"])
        for key, value in (overrides or {}).items():
            if value is not None:
                values[key] = value
        return cls(**values)

    @property
    def database_url(self) -> str:
        if self.backend_store_uri:
            return self.backend_store_uri
        return "sqlite:///" + str(Path(self.home).resolve() / "modelyard.db")

    @property
    def sso_modes(self) -> list[str]:
        """The single sign-on modes configured (each counts as users being defined)."""
        return ([m for m, on in (("oidc", bool(self.oidc_issuer)),
                                 ("trusted proxy", bool(self.trusted_proxy_header))) if on])

    @property
    def secret_key_path(self) -> str:
        return self.secret_key_file or str(Path(self.home).resolve() / "secret.key")

    @property
    def embedded(self) -> bool:
        """The metadata store is a SQLite file (one machine, no server of its own)."""
        return self.database_url.startswith("sqlite")

    @property
    def blob_root(self) -> str:
        uri = self.artifacts_uri
        if uri.startswith("file://"):
            uri = uri[len("file://") :]
        if uri:
            return uri
        return str(Path(self.home).resolve() / "blobs")


def _coerce(type_name: Any, raw: str, env: str) -> Any:
    name = type_name if isinstance(type_name, str) else type_name.__name__
    if name == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{env} must be an integer, not {raw!r}") from None
    if name == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    return raw


SETTINGS_HELP = {
    f.name: (f.metadata["env"], f.metadata["help"]) for f in dataclasses.fields(Settings)
}


def client_uri_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The registry URI a client uses when none is given: ``MODELYARD_URI``, else an
    http(s) ``MLFLOW_TRACKING_URI`` (so code moving over from MLflow finds the server it
    already names), else the default.  Other MLflow URIs (``file:``, ``sqlite:``,
    ``databricks``) name MLflow's own stores, never a registry of ours: they are ignored."""
    environ = os.environ if environ is None else environ
    mlflow_uri = environ.get("MLFLOW_TRACKING_URI") or ""
    if not mlflow_uri.lower().startswith(("http://", "https://")):
        mlflow_uri = ""
    return environ.get("MODELYARD_URI") or mlflow_uri or DEFAULT_URI


#: Settings of the registry itself that also apply when a client opens a folder or a
#: database in process (the folder's location always comes from the URI).
REGISTRY_ENV = ("MODELYARD_DEPLOYMENT_TIMEOUT_SECONDS",)


def registry_environ(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of the environment an in-process registry reads (:data:`REGISTRY_ENV`)."""
    environ = os.environ if environ is None else environ
    return {k: environ[k] for k in REGISTRY_ENV if k in environ}


def client_token_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The token a client sends: ``MODELYARD_TOKEN`` (None: see ``modelyard login``)."""
    environ = os.environ if environ is None else environ
    return environ.get("MODELYARD_TOKEN") or None


def config_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``modelyard login`` keeps tokens: ``$MODELYARD_CONFIG_DIR``, else
    ``$XDG_CONFIG_HOME/modelyard``, else ``~/.config/modelyard``."""
    environ = os.environ if environ is None else environ
    if environ.get("MODELYARD_CONFIG_DIR"):
        return Path(environ["MODELYARD_CONFIG_DIR"])
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "modelyard"


def home_from_env(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("MODELYARD_HOME") or "./modelyard-data"
