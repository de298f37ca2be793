"""Real databases for the tests: SQLite always; PostgreSQL and MariaDB when reachable.

Each test gets empty tables: SQLite a fresh file, the servers a per-worker database
migrated once and truncated before each test.  Without a server the tests that need
it skip with the reason, except when MODELYARD_REQUIRE_SERVICES=1 (CI), where a
missing service fails the run.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_ADMIN = os.environ.get("MODELYARD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MY_ADMIN = os.environ.get("MODELYARD_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306/test")

REQUIRE = os.environ.get("MODELYARD_REQUIRE_SERVICES") == "1"


def unavailable(what: str, exc: BaseException) -> None:
    reason = f"{what} is not reachable ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    if REQUIRE:
        pytest.fail(f"MODELYARD_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def worker_db_name(suffix: str = "") -> str:
    """Unique per test run and worker, so concurrent runs on one machine never share;
    ``suffix`` names a further database of the same worker."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
    return f"modelyard_test_{run}_{worker}" + (f"_{suffix}" if suffix else "")


def drop_server_db(kind: str, suffix: str = "") -> None:
    name = worker_db_name(suffix)
    _forget(name)
    admin_url = PG_ADMIN if kind == "postgresql" else MY_ADMIN
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        engine.dispose()


def create_server_db(kind: str, suffix: str = "") -> str:
    """Create (or recreate) this worker's database, empty; returns its URL."""
    name = worker_db_name(suffix)
    _forget(name)
    admin_url = PG_ADMIN if kind == "postgresql" else MY_ADMIN
    try:
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT",
                                  connect_args={"connect_timeout": 5})
        with engine.connect() as conn:
            if kind == "postgresql":
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
                conn.exec_driver_sql(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        unavailable("PostgreSQL" if kind == "postgresql" else "MariaDB", exc)
    base = sa.engine.make_url(admin_url)
    return base.set(database=name).render_as_string(hide_password=False)


# One engine per server database for the run: a test's reset is then one connection's
# few statements, not an engine and a connection set up each time.
_ENGINES: dict[str, sa.Engine] = {}


def _engine(url: str) -> sa.Engine:
    if url not in _ENGINES:
        _ENGINES[url] = sa.create_engine(url, pool_pre_ping=True)
    return _ENGINES[url]


def _forget(database: str) -> None:
    """Close the pooled connections to ``database`` before it is dropped."""
    for url in [u for u in _ENGINES if sa.engine.make_url(u).database == database]:
        _ENGINES.pop(url).dispose()


def _used_tables(conn: sa.Connection, tables: list[str]) -> list[str]:
    """The tables a test left rows in, or whose id counter it moved (so that every
    test sees ids from 1, as on a new SQLite file): emptying only those makes a reset
    cost what the test touched, not the whole schema (a MariaDB TRUNCATE re-creates
    the table: about 20 ms each)."""
    quote = conn.dialect.identifier_preparer.quote_identifier
    probe = " UNION ALL ".join(f"(SELECT '{t}' FROM {quote(t)} LIMIT 1)" for t in tables)
    used = {row[0] for row in conn.exec_driver_sql(probe)}
    if conn.dialect.name == "postgresql":
        moved = conn.exec_driver_sql(
            "SELECT t.relname FROM pg_sequences q"
            " JOIN pg_class s ON s.relname = q.sequencename AND s.relkind = 'S'"
            " JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
            " JOIN pg_class t ON t.oid = d.refobjid"
            " WHERE q.schemaname = current_schema() AND q.last_value IS NOT NULL")
    else:
        if not getattr(conn.dialect, "is_mariadb", False):
            # MySQL 8 caches these figures for a day; MariaDB reads the live counter.
            conn.exec_driver_sql("SET SESSION information_schema_stats_expiry = 0")
        moved = conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND auto_increment > 1")
    return sorted(used | ({row[0] for row in moved} & set(tables)))


def truncate_all(url: str) -> None:
    """Empty every table of the schema (ids restart from 1)."""
    from modelyard.store.schema import metadata

    engine = _engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    quote = engine.dialect.identifier_preparer.quote_identifier
    with engine.begin() as conn:
        used = _used_tables(conn, tables)
        if not used:
            return
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(quote(t) for t in used)
                                 + " RESTART IDENTITY CASCADE")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
            for t in used:
                conn.exec_driver_sql(f"TRUNCATE TABLE {quote(t)}")
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")


def migrate_database(url: str) -> None:
    """Bring a test database to the newest schema, as `modelyard db upgrade` does.

    A new SQLite file is a copy of one migrated once per process (the migrations take
    about 0.35 s; the copy a millisecond); the copy is made with SQLite's backup API,
    so it is the database, not a file that may lack its write-ahead log."""
    target = sa.engine.make_url(url)
    if (target.get_backend_name() == "sqlite" and target.database
            and target.database != ":memory:" and not os.path.exists(target.database)):
        path = Path(target.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # as the store makes it
        with closing(sqlite3.connect(_sqlite_template())) as src, \
                closing(sqlite3.connect(path)) as dst:
            src.backup(dst)
        return
    _upgrade(url)


def _upgrade(url: str) -> None:
    from modelyard.store.sql_store import SqlStore

    store = SqlStore(url)
    try:
        store.upgrade()
    finally:
        store.dispose()


@functools.cache
def _sqlite_template() -> str:
    folder = tempfile.mkdtemp(prefix="modelyard-template-")
    atexit.register(shutil.rmtree, folder, True)
    path = os.path.join(folder, "meta.db")
    _upgrade(f"sqlite:///{path}")
    return path
