"""What the pages share: the services, the acting principal, filter quoting, paging
links and the redirect after a form post."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from modelyard.domain.governance_records import time_ms
from modelyard.errors import InvalidParameter, ModelyardError
from modelyard.server.deps import services
from modelyard.server.ui.render import principal

__all__ = ["principal", "services", "quote_value", "quote_key", "query_with", "see_other",
           "attempt", "to_number", "since_ms"]

_SPAN = re.compile(r"^(\d{1,7})([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def since_ms(text: str) -> int:
    """``7d``, ``12h``, ``30m`` ago, or an ISO 8601 time, in ms since the epoch."""
    m = _SPAN.match(text.strip())
    if m:
        return int((time.time() - int(m.group(1)) * _UNIT[m.group(2)]) * 1000)
    try:
        return time_ms(text.strip())
    except InvalidParameter:
        raise InvalidParameter(
            f"since expects 7d, 12h, 30m or an ISO 8601 time, not {text!r}") from None


def quote_value(value: str) -> str:
    """A string literal of the filter language."""
    return "'" + value.replace("'", "''") + "'"


def quote_key(kind: str, key: str) -> str:
    """``tags.<key>`` with the key back-quoted (a key with a back-quote is refused)."""
    if "`" in key:
        raise ValueError("a key with a back-quote cannot be filtered on")
    return f"{kind}.`{key}`"


def query_with(request: Request, **changes: Any) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = str(v)
    return request.url.path + ("?" + urlencode(params) if params else "")


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def attempt(fn: Any, *args: Any, default: Any = None, **kwargs: Any) -> Any:
    """A call whose refusal (not found, not permitted) only leaves a panel empty."""
    try:
        return fn(*args, **kwargs)
    except ModelyardError:
        return default


def to_number(text: str | None) -> float | str | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text
