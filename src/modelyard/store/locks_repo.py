"""Named locks held until the transaction ends, on a row of ``locks``.

A shared hold is ``SELECT ... FOR SHARE`` (``LOCK IN SHARE MODE`` on MySQL/MariaDB), an
exclusive one ``SELECT ... FOR UPDATE``: shared holders run side by side, an exclusive
holder waits for them and they for it.  On SQLite a write transaction already holds
the database's single write lock from its ``BEGIN IMMEDIATE``, which orders it against
every other writer, so nothing more is taken there.

A lock row that is missing (a database emptied by hand) is created on first use.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from modelyard.store.schema import locks


def hold(conn: Connection, name: str, *, exclusive: bool) -> None:
    """Hold the lock ``name`` until the transaction of ``conn`` ends."""
    if conn.dialect.name == "sqlite":
        return
    query = select(locks.c.name).where(locks.c.name == name).with_for_update(
        read=not exclusive)
    if conn.execute(query).first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(locks).values(name=name))
    except IntegrityError:
        pass  # another transaction created it at the same moment
    conn.execute(query).first()
