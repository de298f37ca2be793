"""Engines from URLs, with the quirks of each dialect handled in one place.

- SQLite: WAL journal, a busy timeout, foreign keys on, and write transactions opened
  with ``BEGIN IMMEDIATE`` so that two writers queue on the lock instead of failing
  with a dead-lock when a read transaction is upgraded.  A missing folder is created
  0700 and a new database file 0600 whatever the umask (SQLite gives its ``-wal`` and
  ``-shm`` files the mode of the database).
- PostgreSQL: ``postgresql://`` uses psycopg 3.
- MySQL/MariaDB: ``mysql://`` uses PyMySQL, utf8mb4, and each connection strict
  (``STRICT_TRANS_TABLES`` added to the server's mode): a server configured
  non-strict would otherwise cut an over-long value to fit and store it silently,
  where the answer, built from the values written, would show it whole.  Transactions
  run at READ COMMITTED, as on PostgreSQL: each statement sees the latest commit, so a
  read after a lock sees what the lock waited for (under InnoDB's default, REPEATABLE
  READ, it saw the transaction's first snapshot), and fewer gap locks are taken.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from modelyard.errors import InvalidParameter

WRITE_OPTION = "modelyard_write"


def normalize_url(url: str) -> str:
    """Pick the drivers we ship with for bare dialect names."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mysql://") or url.startswith("mariadb://"):
        return "mysql+pymysql://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    """The URL with its password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL we cannot parse is shown as its scheme only
        return url.split("://", 1)[0] + "://***"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        raise InvalidParameter(f"not a database URL: {redact(url)}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    kwargs: dict[str, object] = {"pool_pre_ping": True, "pool_size": pool_size,
                                 "hide_parameters": True,  # no value of a statement in logs
                                 "max_overflow": pool_size * 2, "pool_recycle": 3600}
    if backend == "mysql":
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        return create_engine(parsed, connect_args={"init_command": _STRICT},
                             isolation_level="READ COMMITTED", **kwargs)
    if backend == "postgresql":
        return create_engine(parsed, **kwargs)
    raise InvalidParameter(f"unsupported database {backend!r}: use sqlite, postgresql or mysql")


# Run by the driver as each connection opens (after a ``sql_mode`` of the URL's).
_STRICT = ("SET SESSION sql_mode = IF(FIND_IN_SET('STRICT_TRANS_TABLES', @@SESSION.sql_mode), "
           "@@SESSION.sql_mode, CONCAT_WS(',', NULLIF(@@SESSION.sql_mode, ''), "
           "'STRICT_TRANS_TABLES'))")


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    memory = database in ("", ":memory:")
    if not memory:
        _create_private(Path(database).expanduser())
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=NullPool if memory else None,
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA case_sensitive_like=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # On the driver's connection: through ``exec_driver_sql`` the BEGIN cost as much
        # as a query (SQLAlchemy's execution and event machinery), on every transaction.
        # A failure (the lock not had within the busy timeout) is wrapped as SQLAlchemy
        # wraps it, so the store translates it as before.
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        statement = "BEGIN IMMEDIATE" if write else "BEGIN"
        try:
            cast(sqlite3.Connection, conn.connection.driver_connection).execute(statement)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, None, exc, sqlite3.Error,
                                      hide_parameters=True) from exc

    return engine


def _create_private(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.fchmod(fd, 0o600)
    os.close(fd)
