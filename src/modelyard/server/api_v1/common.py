"""Shapes shared by the v1 routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import Field

from modelyard.domain.entities import Page
from modelyard.domain.validation import INT64_MAX, INT64_MIN

# Every integer of a request body, query or path: the range of a 64-bit column, so
# that a larger one is a 400 naming the field, never a database overflow.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]


class SearchParams:
    def __init__(
        self,
        filter: str | None = Query(None, description="Filter, e.g. name LIKE 'fraud%'"),
        order_by: list[str] | None = Query(None, description="e.g. 'name ASC'; repeatable"),
        max_results: int = Query(100, ge=1, le=10000),
        page_token: str | None = Query(None),
        deleted: bool = Query(False, description="List soft-deleted entries instead"),
    ) -> None:
        self.filter = filter
        self.order_by = order_by
        self.max_results = max_results
        self.page_token = page_token
        self.deleted = deleted

    def kwargs(self) -> dict[str, Any]:
        return {"filter": self.filter, "order_by": self.order_by,
                "max_results": self.max_results, "page_token": self.page_token,
                "deleted": self.deleted}


Search = Depends(SearchParams)


def page_body(page: Page[Any], key: str) -> dict[str, Any]:
    body: dict[str, Any] = {key: [item.to_dict() for item in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body
