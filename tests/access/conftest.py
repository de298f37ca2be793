"""Access control tests: on SQLite unless a test asks for every backend."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


@pytest.fixture
def admin_token(services) -> str:  # type: ignore[no-untyped-def]
    """Ends the open mode: the first admin, whose initial token is returned."""
    from modelyard.domain.entities import ANONYMOUS

    user = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    assert user.token
    return user.token
