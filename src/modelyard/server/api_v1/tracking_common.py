"""Shapes shared by the tracking routers: JSON that may carry NaN and ±inf (metric
values, as MLflow allows), and the three-way ``deleted`` filter."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse

from modelyard.domain.entities import Page
from modelyard.errors import InvalidParameter


class NanJSONResponse(JSONResponse):
    """JSON with NaN/Infinity literals allowed (Python's json reads them back)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=True, default=str,
                          separators=(",", ":")).encode("utf-8")


def deleted_flag(value: str | bool | None) -> bool | None:
    """``false`` (default): active only; ``true``: deleted only; ``all``: both."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "false", "0", "no", "active", "active_only"):
        return False
    if text in ("true", "1", "yes", "deleted", "deleted_only"):
        return True
    if text in ("all", "any", "none", "null"):
        return None
    raise InvalidParameter("deleted must be true, false or all")


def page_response(page: Page[Any], key: str) -> NanJSONResponse:
    body: dict[str, Any] = {key: [item.to_dict() for item in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return NanJSONResponse(body)
