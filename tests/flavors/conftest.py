"""Flavor tests share the serving tests' fixtures: SQLite only, and ``registry``."""

from tests.serving.conftest import db_url, registry  # noqa: F401
