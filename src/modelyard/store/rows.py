"""Small helpers on statement results shared by the repositories."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Insert, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite

V = TypeVar("V")


def inserted_id(result: CursorResult[Any]) -> int:
    """The surrogate id of the row an INSERT created."""
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every table has an autoincrement key
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


def by_key(values: dict[str, V]) -> dict[str, V]:
    """A mapping in code-point order of its keys: reads order tag, alias, param and
    metric keys here rather than in SQL, where a database's collation would decide."""
    return dict(sorted(values.items()))


def statement_savepoint(conn: Connection) -> AbstractContextManager[Any]:
    """A savepoint around one statement whose failure the caller turns into a domain
    error (a name taken), so that the transaction stays usable after it.  SQLite
    undoes only the failed statement and keeps its transaction usable, so there the
    savepoint (two more statements on every model write) is not taken."""
    if conn.dialect.name == "sqlite":
        return nullcontext()
    return conn.begin_nested()


def insert_unless_taken(conn: Connection, table: Table, unique: str,
                        values: dict[str, Any]) -> Insert:
    """An INSERT that does nothing when ``values[unique]`` is taken.

    On InnoDB a plain INSERT that fails on a duplicate key leaves a shared lock on the
    row (rolling back to a savepoint keeps it), and two such writers that then lock the
    row to change it dead-lock; ``ON DUPLICATE KEY UPDATE`` takes an exclusive lock
    instead, so they queue.  PostgreSQL and SQLite skip the row with ``ON CONFLICT DO
    NOTHING``."""
    name = conn.dialect.name
    if name == "mysql":
        stmt = mysql.insert(table).values(**values)
        return stmt.on_duplicate_key_update({unique: stmt.inserted[unique]})
    if name == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing(
            index_elements=[unique])
    return sqlite.insert(table).values(**values).on_conflict_do_nothing(
        index_elements=[unique])
