"""The SQL metadata store passes the metadata-store conformance suite on SQLite,
PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelyard.store.sql_store import SqlStore
from modelyard.testing.metadata import MetadataStoreContract


class TestSqlStore(MetadataStoreContract):
    @pytest.fixture
    def store(self, db_url: str) -> Iterator[SqlStore]:
        store = SqlStore(db_url)
        store.upgrade()
        yield store
        store.dispose()
