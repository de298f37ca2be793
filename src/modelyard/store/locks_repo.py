"""Named locks held until the transaction ends, on a row of ``locks``.

A shared hold is ``SELECT ... FOR SHARE`` (``LOCK IN SHARE MODE`` on MySQL/MariaDB), an
exclusive one ``SELECT ... FOR UPDATE``: shared holders run side by side, an exclusive
holder waits for them and they for it.  On SQLite a write transaction already holds
the database's single write lock from its ``BEGIN IMMEDIATE``, which orders it against
every other writer, so nothing more is taken there.

The migration creates the rows.  One that is missing (a database emptied by hand) is
created on another connection before the first hold of each engine, while the
holding transaction has run no statement yet: inserting it inside that transaction
would take gap locks that dead-lock two first holders on InnoDB, and any read before
the lock would fix a MySQL snapshot older than the lock.
"""

from __future__ import annotations

import weakref

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from modelyard.store.schema import locks

_READY: weakref.WeakKeyDictionary[Engine, set[str]] = weakref.WeakKeyDictionary()


def ensure(engine: Engine, name: str) -> None:
    """Create the row of lock ``name`` unless it exists (once per engine)."""
    ready = _READY.setdefault(engine, set())
    if name in ready:
        return
    with engine.connect() as conn:
        with conn.begin():
            found = conn.execute(select(locks.c.name).where(locks.c.name == name)).first()
        if found is None:
            try:
                with conn.begin():
                    conn.execute(insert(locks).values(name=name))
            except IntegrityError:
                pass  # another process created it at the same moment
    ready.add(name)


def hold(conn: Connection, name: str, *, exclusive: bool) -> None:
    """Hold the lock ``name`` until the transaction of ``conn`` ends; must be the first
    statement of that transaction."""
    if conn.dialect.name == "sqlite":
        return
    ensure(conn.engine, name)
    query = select(locks.c.name).where(locks.c.name == name).with_for_update(
        read=not exclusive)
    if conn.execute(query).first() is None:
        # Deleted while this process ran: recreate it here (may dead-lock with another
        # first holder on InnoDB, which then fails and is retried; it never proceeds
        # unlocked).
        with conn.begin_nested():
            conn.execute(insert(locks).values(name=name))
        conn.execute(query).first()
