"""The server's log: where its lines go, and one line per request when asked.

:func:`configure` gives the ``modelyard`` loggers a handler on stderr in each server
process, with the time, the level and the logger's name (without it only warnings
reached stderr, bare, through Python's last-resort handler).

:class:`AccessLog` (``--access-log``) writes, after each request, its client address,
method, path, status, duration and request id, the id that the answer's
``X-Request-Id`` header and any error line of the same request carry::

    127.0.0.1 "GET /api/2.0/mlflow/registered-models/get" 404 1.2ms rid=5f0c9a1e2b3d4c6f

The query string is left out: a presigned URL's signature or a token a client put
there must not reach a log.  The path is logged as sent, percent-encoded, so a decoded
newline cannot forge a line.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from modelyard.server.errors import logged_path, request_id

log = logging.getLogger("modelyard.access")

_TRACE = 5  # uvicorn's "trace" level, below DEBUG


def configure(level: str) -> None:
    """Log the ``modelyard`` loggers to stderr at ``level`` (once per process)."""
    ours = logging.getLogger("modelyard")
    if not ours.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        ours.addHandler(handler)
        ours.propagate = False
    ours.setLevel(_TRACE if level.lower() == "trace" else level.upper())


class AccessLog:
    """ASGI middleware: see the module docs.  Inside :class:`ResponseHeaders`, which
    sets the request id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers

        async def seen(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, seen)
        finally:
            client = scope.get("client") or ("-", 0)
            log.info('%s "%s %s" %d %.1fms rid=%s', client[0], scope["method"],
                     logged_path(scope), status,
                     (time.perf_counter() - started) * 1000, request_id.get())
