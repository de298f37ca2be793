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


def upsert(conn: Connection, table: Table, unique: list[str], values: dict[str, Any],
           update: list[str] | None = None) -> Insert:
    """An INSERT of one row that, when the columns ``unique`` (a unique key) match a row
    already there, sets that row's columns ``update`` instead (none: leaves it as it is).

    Safe when several writers insert the same new key at once, where an UPDATE then
    INSERT fails on the duplicate.  On InnoDB, a plain INSERT that fails on a duplicate
    leaves a shared lock on the row (rolling back to a savepoint keeps it), and two such
    writers that then lock the row to change it dead-lock; ``ON DUPLICATE KEY UPDATE``
    takes an exclusive lock instead, so they queue.  PostgreSQL and SQLite use ``ON
    CONFLICT``."""
    cols = update or []
    if conn.dialect.name == "mysql":
        my = mysql.insert(table).values(**values)
        return my.on_duplicate_key_update({c: my.inserted[c] for c in cols or unique[:1]})
    stmt = (postgresql.insert(table) if conn.dialect.name == "postgresql"
            else sqlite.insert(table)).values(**values)
    if not cols:
        return stmt.on_conflict_do_nothing(index_elements=unique)
    return stmt.on_conflict_do_update(index_elements=unique,
                                      set_={c: stmt.excluded[c] for c in cols})
