"""Headers on every response: a request id, and what keeps a browser from running or
framing what the server sends.

- ``X-Request-Id``: a fresh id per request, also in every error body and in the log
  lines written while handling it, so a user can quote it and an operator find it.
- ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: sandbox``: an
  artifact, blob or file download is someone's bytes; a browser must neither guess
  that they are HTML nor run them with the server's origin.  JSON answers get the
  same (it costs nothing); a route that serves a page sets its own policy.
- ``X-Frame-Options: DENY``: nothing the server answers is meant to be framed.
- A page of the web UI (:data:`PAGE_HEADERS`) replaces the sandbox with a strict policy:
  scripts, styles, images and forms of this origin only, no inline script or style, no
  plugin, no frame, no ``<base>``; and no referrer leaves for another site.
"""

from __future__ import annotations

import secrets
from typing import Any

from modelyard.server.errors import request_id

_DEFAULTS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"sandbox"),
    (b"x-frame-options", b"DENY"),
]


PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class ResponseHeaders:
    """ASGI middleware: see the module docs."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        # Not reset after the call: the handler of unexpected errors runs outside all
        # middleware, in the same task, and must still see the id.
        request_id.set(rid)

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers.extend(kv for kv in _DEFAULTS if kv[0] not in present)
                if b"x-request-id" not in present:
                    headers.append((b"x-request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
