"""What each engine guarantees whatever the server's own configuration."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from modelyard.errors import InsufficientStorage
from modelyard.store.engine import make_engine
from modelyard.store.sql_store import SqlStore
from modelyard.testing.metadata_base import _model


@pytest.mark.parametrize("db_url", ["mysql"], indirect=True)
def test_mysql_connections_are_strict_on_a_non_strict_server(db_url: str) -> None:
    # The URL's sql_mode stands for a server configured without strict mode: an
    # over-long value would be cut to fit, stored, and reported as written.
    engine = make_engine(db_url + "?sql_mode=NO_ENGINE_SUBSTITUTION")
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar_one()
            assert "STRICT_TRANS_TABLES" in mode.split(",")
            assert "NO_ENGINE_SUBSTITUTION" in mode.split(",")  # the server's stays
            conn.exec_driver_sql("CREATE TEMPORARY TABLE short_text (v VARCHAR(3))")
            with pytest.raises(DBAPIError):
                conn.exec_driver_sql("INSERT INTO short_text (v) VALUES ('four')")
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM short_text").scalar_one() == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_a_full_database_is_said_so_and_keeps_nothing_of_the_write(db_url: str) -> None:
    store = SqlStore(db_url)
    try:
        with store.write() as tx:
            kept = _model(tx, "kept")
        with (pytest.raises(InsufficientStorage, match="metadata database is full"),
              store.write() as tx):
            _model(tx, "lost")
            _fill(store, tx.conn)
        with store.read() as tx:  # the store still answers; the failed write left nothing
            found = tx.registry.model("kept")
            assert found is not None and found.id == kept
            assert tx.registry.model("lost") is None
    finally:
        store.dispose()


def _fill(store: SqlStore, conn: Connection) -> None:
    """Make the database itself refuse a write for lack of room, each its own way."""
    if store.dialect == "sqlite":  # a page limit of the database file: SQLITE_FULL
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages + 1}")
        conn.exec_driver_sql("CREATE TABLE filler (v BLOB)")
        for _ in range(50):
            conn.exec_driver_sql("INSERT INTO filler (v) VALUES (zeroblob(65536))")
    elif store.dialect == "postgresql":  # what the server raises on a full disk (53100)
        conn.exec_driver_sql("DO $$ BEGIN RAISE EXCEPTION 'could not extend file' "
                             "USING ERRCODE = 'disk_full'; END $$")
    else:  # a MEMORY table past its size limit: "The table is full" (1114)
        conn.exec_driver_sql("SET SESSION max_heap_table_size = 16384")
        conn.exec_driver_sql("CREATE TEMPORARY TABLE filler (v VARCHAR(255)) ENGINE=MEMORY")
        for _ in range(1000):
            conn.exec_driver_sql(f"INSERT INTO filler (v) VALUES ('{'x' * 255}')")
    raise AssertionError("the database took every write")


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)
def test_an_error_whose_values_read_like_a_full_disk_is_not_one(db_url: str) -> None:
    """A constraint error carries the row's values in its text; only codes are read."""
    store = SqlStore(db_url)
    try:
        with pytest.raises(Exception) as raised, store.write() as tx:
            tx.conn.exec_driver_sql("CREATE TEMPORARY TABLE once (v VARCHAR(64) PRIMARY KEY)")
            for _ in range(2):
                tx.conn.exec_driver_sql("INSERT INTO once (v) VALUES "
                                        "('No space left on device (Errcode: 28)')")
        assert not isinstance(raised.value, InsufficientStorage)
    finally:
        store.dispose()
