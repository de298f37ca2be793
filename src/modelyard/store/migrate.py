"""Schema migrations (Alembic) driven from code.

Nothing migrates as a side effect of opening a store: ``modelyard db upgrade``, the
server's start-up and the embedded default's first open call :func:`upgrade`; every
other open calls :func:`require_head`, which refuses a database that is not at the
newest schema with a message saying to run ``modelyard db upgrade``.

An upgrade holds the database's migration lock from its check of the current revision
to its commit, so any number of processes may start one at the same moment: the first
migrates, the others wait and then find the schema at head.  The lock is an advisory
lock on PostgreSQL (``pg_advisory_lock``), a named lock on MySQL/MariaDB
(``GET_LOCK``), and the write lock of a ``BEGIN IMMEDIATE`` transaction on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from modelyard.errors import ServiceUnavailable
from modelyard.store.engine import WRITE_OPTION

_HERE = Path(__file__).parent / "migrations"
# pg_advisory_lock takes a bigint; this one spells "modelyar" in ASCII.
PG_LOCK_KEY = 0x6D6F64656C796172
MYSQL_LOCK_NAME = "modelyard_migrate"
LOCK_WAIT_SECONDS = 600


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def require_head(engine: Engine) -> None:
    """Refuse a database whose schema is not the one this version of modelyard needs."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        found = f"at revision {current}" if current else "empty (no schema)"
        raise ServiceUnavailable(
            f"the database schema is {found}, this version of modelyard needs revision "
            f"{head}: run `modelyard db upgrade`")


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock until it ends."""
    with engine.connect() as conn:
        dialect = engine.dialect.name
        if dialect == "sqlite":
            conn.execution_options(**{WRITE_OPTION: True})  # BEGIN IMMEDIATE
            with conn.begin():
                yield conn
            return
        if dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            release = text("SELECT pg_advisory_unlock(:k)")
            params: dict[str, object] = {"k": PG_LOCK_KEY}
        else:
            got = conn.execute(text("SELECT GET_LOCK(:n, :t)"),
                               {"n": MYSQL_LOCK_NAME, "t": LOCK_WAIT_SECONDS}).scalar()
            if got != 1:
                raise ServiceUnavailable(
                    f"another migration held the lock for over {LOCK_WAIT_SECONDS} s")
            release = text("SELECT RELEASE_LOCK(:n)")
            params = {"n": MYSQL_LOCK_NAME}
        conn.commit()  # the lock is the session's: it outlives this transaction
        try:
            with conn.begin():
                yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.execute(release, params)
            conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is there already."""
    head = head_revision()
    if revision == "head" and current_revision(engine) == head:
        return
    with _locked(engine) as conn:
        if revision == "head" and _revision(conn) == head:
            return  # another process migrated while this one waited for the lock
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _locked(engine) as conn:
        command.downgrade(_config(conn), revision)


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new revision from the difference to ``schema.py``."""
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
