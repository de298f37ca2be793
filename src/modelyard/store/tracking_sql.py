"""What the tracking repositories share: metric value encoding, path hashes, ORDER BY
with missing values last, and upserting child rows of one owner."""

from __future__ import annotations

import hashlib
import math
import sys
from typing import Any

from sqlalchemy import Connection, case, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.search import OrderKey
from modelyard.store.filters import Resolver
from modelyard.store.schema_tracking import experiments, latest_metrics, runs

E, R, LM = experiments, runs, latest_metrics
MAX_FLOAT = sys.float_info.max


def encode_value(value: float) -> tuple[float, int]:
    """(stored value, kind): NaN and infinities in a form every database keeps."""
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return (MAX_FLOAT, 2) if value > 0 else (-MAX_FLOAT, 3)
    return value, 0


def decode_value(value: float, kind: int) -> float:
    if kind == 1:
        return math.nan
    if kind == 2:
        return math.inf
    if kind == 3:
        return -math.inf
    return float(value)


def lifecycle_filter(col: ColumnElement[Any], deleted: bool | None) -> ColumnElement[Any]:
    if deleted is None:
        return col.is_not(None)
    return col == ("deleted" if deleted else "active")


def path_hash(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


def order_missing_last(keys: list[OrderKey], resolve: Resolver) -> list[ColumnElement[Any]]:
    """ORDER BY with missing values last on every database."""
    out: list[ColumnElement[Any]] = []
    for key in keys:
        col = resolve(key.field)
        out.append(case((col.is_(None), 1), else_=0))
        out.append(col.desc() if key.descending else col.asc())
    return out


class ChildRows:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _put(self, table: Any, owner: dict[str, Any], rows: dict[Any, dict[str, Any]],
             key: str = "key") -> None:
        """Insert or update child rows of one owner (a run, an experiment) by key.

        The caller holds the owner's row lock, so reading the keys that exist and then
        inserting the others cannot race.  (An UPDATE of a missing key first would take
        a gap lock on MySQL, and two writers inserting into the same gap dead-lock.)"""
        if not rows:
            return
        conds = [table.c[k] == v for k, v in owner.items()]
        keys = list(rows)
        existing: set[Any] = set()
        for i in range(0, len(keys), 500):
            existing |= set(self.conn.execute(select(table.c[key]).where(
                *conds, table.c[key].in_(keys[i:i + 500]))).scalars())
        new = [{**owner, key: k, **v} for k, v in rows.items() if k not in existing]
        if new:
            self.conn.execute(insert(table), new)
        for k in existing:
            self.conn.execute(update(table).where(*conds, table.c[key] == k).values(**rows[k]))
