"""What ``modelyard serve`` was asked to do, as one frozen value built by the CLI (or a
test) and passed down; nothing in serving reads the environment."""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.errors import InvalidParameter

__all__ = ["ServeConfig", "parse_route"]


@dataclass(frozen=True)
class ServeConfig:
    #: A registry reference (``models:/fraud@production``, ``fraud/3``) or a model folder.
    target: str
    #: Traffic split: (alias, version number or reference, weight); empty: the target.
    routes: tuple[tuple[str, float], ...] = ()
    #: An alias or reference that gets a copy of every request; its answers are dropped.
    shadow: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    trust_pickle: bool = False
    #: How long the batcher may hold a request while others are arriving, in ms.
    batch_window_ms: float = 2.0
    #: Most rows predicted in one model call.
    max_batch_rows: int = 256
    #: Largest request body, in bytes.
    max_body_bytes: int = 20 * 1024 * 1024
    #: How often aliases and stages are checked for a new version, in seconds.
    poll_seconds: float = 2.0
    #: Follow aliases and stages; off: serve what they point at when the server starts.
    follow: bool = True
    #: The URL recorded as the deployment's endpoint (default http://host:port).
    endpoint: str | None = None
    #: Free text recorded with the deployment (e.g. "prod-eu").
    environment: str = ""
    #: Most shadow copies in flight; further copies are dropped, never queued.
    max_shadow_inflight: int = 64
    #: How often the deployments are told to the registry as alive, in seconds (the
    #: registry ends a deployment silent for ``deployment_timeout_seconds``).
    heartbeat_seconds: float = 10.0
    #: Scoring needs a registry credential with read access on the served model(s).
    require_token: bool = False

    def __post_init__(self) -> None:
        if self.batch_window_ms < 0 or self.batch_window_ms > 1000:
            raise InvalidParameter("--batch-window-ms must be between 0 and 1000")
        if self.max_batch_rows < 1:
            raise InvalidParameter("--max-batch-rows must be at least 1")
        if self.max_body_bytes < 1:
            raise InvalidParameter("--max-body-bytes must be positive")
        if self.poll_seconds <= 0:
            raise InvalidParameter("--poll-seconds must be positive")
        if self.heartbeat_seconds <= 0:
            raise InvalidParameter("--heartbeat-seconds must be positive")
        total = sum(w for _, w in self.routes)
        if self.routes and total <= 0:
            raise InvalidParameter("route weights must add up to more than 0")

    @property
    def public_endpoint(self) -> str:
        return self.endpoint or f"http://{self.host}:{self.port}"


def parse_route(text: str) -> tuple[str, float]:
    """``production=90`` -> ("production", 90.0)."""
    name, sep, weight = text.rpartition("=")
    if not sep or not name:
        raise InvalidParameter(f"invalid --route {text!r}; use ALIAS=WEIGHT, e.g. "
                               "production=90")
    try:
        value = float(weight)
    except ValueError:
        raise InvalidParameter(f"invalid --route {text!r}: the weight must be a number") from None
    if value < 0 or value != value:
        raise InvalidParameter(f"invalid --route {text!r}: the weight must not be negative")
    return name, value
