"""Small helpers on statement results shared by the repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult


def inserted_id(result: CursorResult[Any]) -> int:
    """The surrogate id of the row an INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table has an autoincrement key
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])
