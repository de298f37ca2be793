"""The migrations build exactly the tables of store/schema*.py, on every database,
and they go down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from modelyard.store import migrate
from modelyard.store.engine import make_engine
from modelyard.store.schema import metadata


def _diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)


def test_schema_matches_models(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        assert migrate.current_revision(engine) is None
        migrate.upgrade(engine)
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_db_upgrade_command(tmp_path, capsys):
    from modelyard.cli.main import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    try:
        main(["--json", "db", "upgrade", "--backend-store-uri", url])
    except SystemExit as exc:
        assert exc.code in (0, None)
    out = capsys.readouterr().out
    assert migrate.head_revision() in out
