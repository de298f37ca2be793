"""Per-request dependencies: the services of this app and the acting principal."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from modelyard.domain.entities import ANONYMOUS, Principal
from modelyard.errors import InvalidParameter, PayloadTooLarge
from modelyard.services import Services


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def principal(request: Request) -> Principal:
    """The acting principal.  Authentication is not configured yet: everyone acts as
    ``anonymous``, which is why the server only binds beyond loopback with --insecure."""
    return getattr(request.state, "principal", ANONYMOUS)


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object of a mutating request; other content types are refused (CSRF)."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise InvalidParameter("request body must be JSON (content-type: application/json)")
    limit = services(request).settings.max_request_json
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"JSON body is larger than {limit} bytes")
    raw = await request.body()
    if len(raw) > limit:
        raise PayloadTooLarge(f"JSON body is larger than {limit} bytes")
    try:
        data = json.loads(raw) if raw else {}
    except (ValueError, UnicodeDecodeError):
        raise InvalidParameter("malformed JSON in request body") from None
    if not isinstance(data, dict):
        raise InvalidParameter("request body must be a JSON object")
    return data
