"""The server's log: where its lines go, and one line per request when asked.

:func:`log_config` is the logging set-up that ``modelyard server`` hands uvicorn, which
applies it in each server process: uvicorn's own loggers as uvicorn sets them up, and
the ``modelyard`` loggers on stderr with the time, the logger's name and the level
(without it only warnings reached stderr, bare, through Python's last-resort handler),
and on both an exception written as one line of where it happened, never a traceback
(:mod:`modelyard.log_format`).
Nothing is set up by building the app: a program (or a test) that embeds it keeps its
own logging.

:class:`AccessLog` (``--access-log``) writes, after each request, at info level (also
under ``--log-level warning``), its client address, method, path, status, duration and
request id, the id that the answer's ``X-Request-Id`` header and any error line of the
same request carry::

    2026-12-04 10:31:07,412 modelyard.access INFO 127.0.0.1 "GET /api/v1/models/fraud" 200 1.4ms rid=5f0c9a1e2b3d4c6f

The query string is left out: a presigned URL's signature or a token a client put
there must not reach a log.  The path is logged as sent, percent-encoded, with any other
byte quoted (``errors.logged_path``), so that no path can forge a line.  A client that
went away before its answer is logged with status 499 (nginx's "client closed
request"); an answer cut off by an error after it started is marked ``aborted``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from modelyard.log_format import safe_uvicorn_config
from modelyard.server.errors import logged_path, request_id

log = logging.getLogger("modelyard.access")

_TRACE = 5  # uvicorn's "trace" level, below DEBUG
_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"  # as modelyard serve logs


def log_config(base: dict[str, Any], level: str, access: bool) -> dict[str, Any]:
    """``base`` (uvicorn's ``LOGGING_CONFIG``) with the ``modelyard`` loggers on stderr
    at ``level``, and the access log at info when ``access``."""
    # Exceptions as one line of where they happened, never a traceback (log_format.py).
    config = safe_uvicorn_config(base)
    config["formatters"]["modelyard"] = {"()": "modelyard.log_format.SafeFormatter",
                                         "fmt": _FORMAT}
    config["handlers"]["modelyard"] = {"class": "logging.StreamHandler",
                                       "formatter": "modelyard",
                                       "stream": "ext://sys.stderr"}
    number = _TRACE if level.lower() == "trace" else level.upper()
    config["loggers"]["modelyard"] = {"handlers": ["modelyard"], "level": number,
                                      "propagate": False}
    if access:
        config["loggers"]["modelyard.access"] = {"level": "INFO"}
    return config


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
        status = 0

        async def seen(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, seen)
        except BaseException:
            failed = True
            raise
        finally:
            # No answer: the app failed (the client gets a 500) or the client went away.
            shown = status or (500 if failed else 499)
            client = scope.get("client") or ("-", 0)
            log.info('%s "%s %s" %d %.1fms rid=%s%s', client[0], scope["method"],
                     logged_path(scope), shown, (time.perf_counter() - started) * 1000,
                     request_id.get(), " aborted" if failed and status else "")
