"""Model serving: ``modelyard serve``.  See :mod:`modelyard.serving.app` for the routes,
:mod:`modelyard.serving.runtime` for routing, alias following and deployments, and
:mod:`modelyard.serving.batching` for micro-batching."""

from __future__ import annotations

import errno
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

from modelyard.errors import InvalidParameter
from modelyard.serving.config import ServeConfig

if TYPE_CHECKING:
    from modelyard.client.base import BaseClient

__all__ = ["ServeConfig", "bind", "run"]


def run(config: ServeConfig, client: BaseClient | None = None, *, log_level: str = "warning",
        announce: Callable[[str], None] | None = None) -> None:
    """Load the models, bind the socket, record the deployments, then serve until
    interrupted; the deployments end on every way out (normal, error, SIGTERM).

    ``announce`` is called with the URL once all of that is done and requests are
    accepted; a failure before then records nothing."""
    import uvicorn
    import uvicorn.config

    from modelyard.log_format import safe_uvicorn_config
    from modelyard.serving.app import create_app
    from modelyard.serving.runtime import Runtime

    sys.setswitchinterval(0.0002)
    runtime = Runtime(config, client)
    sock = bind(config.host, config.port)  # a taken port fails before any model loads
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        runtime.load()
        sock.listen(2048)
        runtime.begin()
        server = uvicorn.Server(uvicorn.Config(
            create_app(runtime), log_level=log_level, access_log=False, server_header=False,
            date_header=False, timeout_graceful_shutdown=10,
            log_config=safe_uvicorn_config(uvicorn.config.LOGGING_CONFIG)))
        if announce is not None:
            announce(f"http://{_host_for_url(config.host)}:{sock.getsockname()[1]}")
        server.run(sockets=[sock])
    finally:
        runtime.stop()
        sock.close()
        signal.signal(signal.SIGTERM, previous)


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (not listening yet: until then connections are
    refused), or one clear error (the port is taken, the address is not ours)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = ("the port is already in use" if exc.errno == errno.EADDRINUSE
                  else exc.strerror or str(exc))
        raise InvalidParameter(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM before (or after) uvicorn watches for it: leave through ``finally``."""
    raise SystemExit(128 + signum)
