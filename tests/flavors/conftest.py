"""Flavor tests run on SQLite only (the registry backends have their own suite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.client.local import LocalClient
from modelyard.services import Services


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'meta.db'}"


@pytest.fixture
def registry(services: Services) -> Iterator[LocalClient]:
    """An in-process client on the test's registry."""
    yield LocalClient("test", services=services)
