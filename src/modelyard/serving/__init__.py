"""Model serving: ``modelyard serve``.  See :mod:`modelyard.serving.app` for the routes,
:mod:`modelyard.serving.runtime` for routing, alias following and deployments, and
:mod:`modelyard.serving.batching` for micro-batching."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modelyard.serving.config import ServeConfig

if TYPE_CHECKING:
    from modelyard.client.base import BaseClient

__all__ = ["ServeConfig", "run"]


def run(config: ServeConfig, client: BaseClient | None = None, *, log_level: str = "warning") -> None:
    """Load the models, then serve until interrupted; deployments end on the way out."""
    import uvicorn

    from modelyard.serving.app import create_app
    from modelyard.serving.runtime import Runtime

    import sys
    sys.setswitchinterval(0.0002)
    runtime = Runtime(config, client)
    runtime.start()
    try:
        uvicorn.run(create_app(runtime), host=config.host, port=config.port,
                    log_level=log_level, access_log=False, server_header=False,
                    date_header=False, timeout_graceful_shutdown=10)
    finally:
        runtime.stop()
