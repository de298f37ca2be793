"""What the REST client makes of a failed response or a failed connection: the error
body's ``error_code`` decoded into the same exception class the domain raised, and the
wire failure said in words."""

from __future__ import annotations

import httpx

from modelyard.errors import ModelyardError, from_code

CHUNK = 1 << 20
BACKOFF = 0.2  # seconds before the first retry of a POST, doubled each time


def raise_for_error(resp: httpx.Response) -> None:
    if resp.status_code < 400:
        return
    try:
        body = resp.json()
        code, message = body.get("error_code", ""), body.get("message", "")
    except ValueError:
        code, message = "", ""
    if not code:
        code = {404: "ENDPOINT_NOT_FOUND", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                413: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}.get(
                    resp.status_code, "INTERNAL_ERROR")
        message = message or f"HTTP {resp.status_code} from {resp.request.url.path}"
    err: ModelyardError = from_code(code, message)
    raise err


def transport_reason(exc: httpx.TransportError) -> str:
    """What went wrong on the wire, in words (never the exception's class name)."""
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host unknown; is the server running there?"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out; is the server up and reachable?"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection unexpectedly"
    return "network error"
