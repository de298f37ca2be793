"""What each engine guarantees whatever the server's own configuration."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from modelyard.store.engine import make_engine


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
