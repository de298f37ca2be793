"""Real databases for the tests: SQLite always; PostgreSQL and MariaDB when reachable.

Each test gets empty tables: SQLite a fresh file, the servers a per-worker database
migrated once and truncated before each test.  Without a server the tests that need
it skip with the reason, except when MODELYARD_REQUIRE_SERVICES=1 (CI), where a
missing service fails the run.
"""

from __future__ import annotations

import os

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


def truncate_all(url: str) -> None:
    from modelyard.store.schema import metadata

    engine = sa.create_engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                 + " RESTART IDENTITY CASCADE")
        else:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
            for t in tables:
                conn.exec_driver_sql(f"TRUNCATE TABLE `{t}`")
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
    engine.dispose()


def migrate_database(url: str) -> None:
    """Bring a test database to the newest schema, as `modelyard db upgrade` does."""
    from modelyard.store.sql_store import SqlStore

    store = SqlStore(url)
    try:
        store.upgrade()
    finally:
        store.dispose()
