"""The one place a ModelyardError becomes an HTTP response
``{"error_code", "message", "request_id"}``.

Unexpected exceptions are logged on the server (by ``modelyard server``'s log set-up
as one line of where they happened, never a traceback: ``modelyard/log_format.py``) and answered
with a generic 500 body: no traceback or internal detail reaches a client.  A 5xx
from the domain (an unreachable database, an object storage fault) is answered with
a generic message for its code; its detail goes to the log only, under the request
id that the client sees in the body and in the ``X-Request-Id`` header.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from modelyard.server.mlflow_compat.messages import is_mlflow_path, mlflow_message
from modelyard.errors import ModelyardError, RangeNotSatisfiable, RateLimited, Unauthenticated

log = logging.getLogger("modelyard.server")

_STATUS_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    429: "TOO_MANY_REQUESTS",
    404: "ENDPOINT_NOT_FOUND",
    405: "ENDPOINT_NOT_FOUND",
    413: "REQUEST_LIMIT_EXCEEDED",
    415: "INVALID_PARAMETER_VALUE",
}


# The id of the request being handled (set by ``server/headers.py``).
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# What a client is told of a fault of the server that has no message of its own.
UNEXPECTED = "internal server error; see the server log"
_GENERIC_5XX = {
    "TEMPORARILY_UNAVAILABLE": "the service is temporarily unavailable; retry later",
    "RESOURCE_EXHAUSTED": "the server's storage is full; nothing was stored; retry once "
                            "space is freed",
}


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "message": message, "request_id": request_id.get()}


def error_response(code: str, message: str, status: int,
                   extra: dict[str, str] | None = None) -> JSONResponse:
    rid = request_id.get()
    # Also here, for the answers to unexpected errors, which leave outside every
    # middleware: the id, and that the body is not to be sniffed or run.
    headers = {"X-Request-Id": rid, "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "sandbox"} if rid else {}
    headers.update(extra or {})
    return JSONResponse(error_body(code, message), status_code=status, headers=headers or None)


def _auth_headers(exc: ModelyardError) -> dict[str, str] | None:
    """``WWW-Authenticate`` on a 401 (the schemes we accept), ``Retry-After`` on a 429,
    the size on a 416."""
    if isinstance(exc, Unauthenticated):
        return {"WWW-Authenticate": 'Bearer realm="modelyard", Basic realm="modelyard"'}
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, RangeNotSatisfiable):
        return {"Content-Range": f"bytes */{exc.size}"}
    return None


def shown_message(exc: ModelyardError) -> str:
    """What a client is told of ``exc``: its message, or for a fault of the server
    (5xx) only what failed in general terms, the detail going to the log under the
    request's id (a database's or a storage's text can name hosts and values)."""
    if exc.http_status < 500:
        return exc.message
    log.error("request %s: %s: %s", request_id.get(), exc.code, exc.message)
    return _GENERIC_5XX.get(exc.code, UNEXPECTED)


#: Protocols with an error envelope of their own, for the errors middleware answers:
#: path prefix -> the body of (path, status, code, message).  Each adapter adds its own.
ENVELOPES: dict[str, Callable[[str, int, str, str], dict[str, Any]]] = {}


async def send_error(send: Any, status: int, code: str, message: str, path: str = "") -> None:
    """Answer an error from ASGI middleware, in the same shape as the handlers (the
    protocol's own envelope for a ``path`` of an adapter that has one)."""
    content = error_body(code, message)
    for prefix, envelope in ENVELOPES.items():
        if path.startswith(prefix):
            content = envelope(path, status, code, message)
    body = json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        msg = err.get("msg", "invalid value")
        if err.get("type") == "json_invalid":
            return "malformed JSON in request body"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "invalid request: " + "; ".join(parts)


# An adapter that answers in pages (the web UI): its error page for a request of its
# own, or None for every other request (answered in JSON).
PageErrors = Callable[[Request, int, str, str], Response | None]


def install(app: FastAPI, pages: PageErrors | None = None) -> None:
    def as_page(request: Request, status: int, code: str, message: str) -> Response | None:
        return pages(request, status, code, message) if pages is not None else None

    @app.exception_handler(ModelyardError)
    async def _domain(request: Request, exc: ModelyardError) -> Response:
        # The cause's traceback is not logged: a driver's exception text can hold
        # values of the statement; the message is written to be logged.
        shown = shown_message(exc)
        found = as_page(request, exc.http_status, exc.code, shown)
        if found is not None:
            return found
        if exc.http_status >= 500:
            return error_response(exc.code, shown, exc.http_status)
        message = exc.message
        if is_mlflow_path(request.url.path):
            message = mlflow_message(message)
        return error_response(exc.code, message, exc.http_status, _auth_headers(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        message = _describe_validation(exc)
        return as_page(request, 400, "INVALID_PARAMETER_VALUE", message) or error_response(
            "INVALID_PARAMETER_VALUE", message, 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "INTERNAL_ERROR" if exc.status_code >= 500
                                 else "INVALID_PARAMETER_VALUE")
        message = str(exc.detail)
        if exc.status_code in (404, 405):
            message = f"no endpoint {request.method} {request.url.path}"
        return as_page(request, exc.status_code, code, message) or error_response(
            code, message, exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request %s: unhandled %s on %s %s", request_id.get(),
                  type(exc).__name__, request.method, logged_path(request.scope), exc_info=exc)
        return error_response("INTERNAL_ERROR", UNEXPECTED, 500)


_QUOTED = frozenset(b'"\\')  # bytes a logged path writes as %XX besides the unprintable


def logged_path(scope: Any) -> str:
    """A request's path for a log line: as sent (percent-encoded), without the query
    string (a presigned signature or a token must not reach a log), and every byte
    outside printable ASCII, and the quote and backslash, as ``%XX``, so that no path
    can forge a line or end a quoted field."""
    raw = scope.get("raw_path") or str(scope.get("path", "")).encode()
    return "".join(chr(b) if 0x20 < b < 0x7F and b not in _QUOTED else f"%{b:02X}"
                   for b in raw.partition(b"?")[0])


class ClientGone:
    """The client went away mid-request (an interrupted upload, to be resumed): not a
    fault of ours, so one line in the log and no traceback; whatever was half-received
    was never made visible.  Outermost, so that no layer reports it as an error."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            log.info("request %s: the client disconnected during %s %s", request_id.get(),
                     scope.get("method"), logged_path(scope))
