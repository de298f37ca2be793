"""Opaque page tokens: the client hands back what it was given and never reads it."""

from __future__ import annotations

import base64
import json
from typing import TypeVar

from modelyard.domain.entities import Page
from modelyard.errors import InvalidParameter

T = TypeVar("T")


def encode_token(offset: int) -> str:
    raw = json.dumps({"o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
    except Exception:  # noqa: BLE001 - any garbage is the same user error
        raise InvalidParameter("invalid page_token") from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidParameter("invalid page_token")
    return offset


def page_of(items: list[T], offset: int, limit: int) -> Page[T]:
    """A page from ``limit + 1`` fetched items: the extra one only says there is more."""
    if len(items) > limit:
        return Page(items[:limit], encode_token(offset + limit))
    return Page(items, None)


