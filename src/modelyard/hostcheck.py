"""Refuse requests whose Host header is not ours (DNS rebinding), when auth is off.

A plain ASGI middleware with no framework imports, shared by the registry server and
the scoring server."""

from __future__ import annotations

import ipaddress
from typing import Any

LOCAL = {"localhost", "127.0.0.1", "::1", "[::1]", "testserver"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HostCheck:
    """``allowed=None`` accepts any Host (the operator bound beyond loopback on
    purpose); otherwise loopback names and ``allowed`` are accepted."""

    def __init__(self, app: Any, allowed: list[str] | None = None) -> None:
        self.app = app
        self.allowed = None if allowed is None else LOCAL | {h.lower() for h in allowed}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.allowed is not None:
            host = ""
            for k, v in scope.get("headers", []):
                if k == b"host":
                    host = v.decode("latin-1").lower()
                    break
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.allowed:
                body = b'{"error_code": "PERMISSION_DENIED", "message": "unknown Host header"}'
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
