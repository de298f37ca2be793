"""Compile the search AST (``domain/search.py``) to SQLAlchemy with bound parameters.

Each search supplies a ``resolve(field) -> column expression``; tags, params and
metrics resolve to correlated scalar subqueries, so a missing key compares as NULL
and never matches (as MLflow does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import and_, false, func, literal, or_, true
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.search import And, Compare, Field, Node, Or, OrderKey
from modelyard.errors import InvalidParameter

Resolver = Callable[[Field], ColumnElement[Any]]


def compile_filter(node: Node | None, resolve: Resolver) -> ColumnElement[Any]:
    if node is None:
        return true()
    if isinstance(node, And):
        return and_(*(compile_filter(n, resolve) for n in node.items))
    if isinstance(node, Or):
        return or_(*(compile_filter(n, resolve) for n in node.items))
    return _compare(node, resolve)


def _compare(node: Compare, resolve: Resolver) -> ColumnElement[Any]:
    col = resolve(node.field)
    op, value = node.op, node.value
    if op == "=":
        return col == value
    if op == "!=":
        return col != value
    if op == "<":
        return col < value
    if op == "<=":
        return col <= value
    if op == ">":
        return col > value
    if op == ">=":
        return col >= value
    if op == "LIKE":
        return col.like(value)
    if op == "NOT LIKE":
        return col.not_like(value)
    if op == "ILIKE":
        return func.lower(col).like(func.lower(literal(value)))
    if op == "NOT ILIKE":
        return func.lower(col).not_like(func.lower(literal(value)))
    if op == "IN":
        return col.in_(_items(value)) if value else false()
    if op == "NOT IN":
        return col.not_in(_items(value)) if value else true()
    if op == "IS NULL":
        return col.is_(None)
    if op == "IS NOT NULL":
        return col.is_not(None)
    raise InvalidParameter(f"unsupported operator {op!r}")  # pragma: no cover


def _items(value: object) -> list[object]:
    """The literals of an IN list (the parser gives a tuple)."""
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        return list(value)
    return [value]


def compile_order(keys: list[OrderKey], resolve: Resolver) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for key in keys:
        col = resolve(key.field)
        out.append(col.desc() if key.descending else col.asc())
    return out
