"""Where users reach this registry.  Behind a reverse proxy that terminates TLS the
request the server sees is plain http on an inner address; ``--public-url`` names the
address users type, and absolute links (the OIDC redirect) and cookie flags follow it.
Without it, each request's own scheme and host are used."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from modelyard.server.deps import services


def check_public_url(value: str) -> str:
    """A usable public URL (``http(s)://host[:port][/path]``, no query), without its
    trailing slash; raises ValueError naming what is wrong."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--public-url must be an http(s) URL with a host, not {value!r}")
    if parts.query or parts.fragment:
        raise ValueError("--public-url cannot have a query or a fragment")
    return value.rstrip("/")


def public_base(request: Request) -> str:
    """The registry's base URL as users reach it, without a trailing slash."""
    configured: str = services(request).settings.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def is_https(request: Request) -> bool:
    """Whether users reach the registry over https (cookies are then marked Secure)."""
    return public_base(request).startswith("https://")
