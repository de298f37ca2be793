"""The migrations build exactly the tables of store/schema*.py, on every database,
and they go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from modelyard.errors import InvalidParameter
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


def test_event_ids_are_backfilled_through_renames_and_deletes(tmp_path, model_dir):
    """Migration 0002 gives existing events the ids the code writes today: a history
    written now, taken back to 0001 and upgraded again, gets the same ids."""
    import sqlalchemy as sa

    from modelyard.client.local import LocalClient

    url = f"sqlite:///{tmp_path / 'm.db'}"
    c = LocalClient(url)
    c.register("fraud", model_dir)
    c.set_alias("fraud", "champion", 1)
    c.rename_model("fraud", "card-fraud")
    c.register("fraud", model_dir)
    c.create_model("tmp")
    c.delete_model("tmp")
    c.restore_model("tmp")
    c.rename_model("tmp", "kept")
    c.create_model("gone")
    c.delete_model("gone")
    c.create_model("gone")
    c.close()

    engine = make_engine(url)
    query = sa.text("SELECT id, entity_type, entity_id, entity_key, model_id FROM events "
                    "WHERE entity_type IN ('model', 'version', 'alias', 'project') ORDER BY id")
    try:
        with engine.connect() as conn:
            written = conn.execute(query).all()
        migrate.downgrade(engine, "0001")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            backfilled = conn.execute(query).all()
    finally:
        engine.dispose()
    assert len({r.model_id for r in written if r.entity_type != "project"}) == 5
    assert backfilled == written


def test_name_skeletons_and_null_flavors_are_backfilled(tmp_path, model_dir):
    """Migration 0005 gives existing names the skeleton keys the code writes today and
    turns the empty flavor of unflavored versions into NULL."""
    import sqlalchemy as sa

    from modelyard.client.local import LocalClient

    url = f"sqlite:///{tmp_path / 'm.db'}"
    c = LocalClient(url)
    c.register("fraud-model", model_dir)
    c.register("fraud-model", model_dir, flavor="sklearn")
    c.create_experiment("churn")
    c.create_project("vision")
    c.close()

    engine = make_engine(url)
    names = sa.text("SELECT 'p', name, name_skeleton FROM projects UNION ALL "
                    "SELECT 'm', name, name_skeleton FROM registered_models UNION ALL "
                    "SELECT 'e', name, name_skeleton FROM experiments ORDER BY 1, 2")
    flavors = sa.text("SELECT version, flavor FROM model_versions ORDER BY version")
    manifests = sa.text("SELECT version_id, path, sha256 FROM version_files ORDER BY 1, 2")
    try:
        with engine.connect() as conn:
            written = conn.execute(names).all()
            files = conn.execute(manifests).all()
            assert conn.execute(flavors).all() == [(1, None), (2, "sklearn")]
        migrate.downgrade(engine, "0002")
        with engine.connect() as conn:
            assert conn.execute(flavors).all() == [(1, ""), (2, "sklearn")]
        migrate.upgrade(engine)
        with engine.connect() as conn:
            backfilled = conn.execute(names).all()
            assert conn.execute(flavors).all() == [(1, None), (2, "sklearn")]
            assert conn.execute(manifests).all() == files != []  # nothing cascaded away
    finally:
        engine.dispose()
    assert {r[1] for r in written} >= {"fraud-model", "churn", "vision", "default", "Default"}
    assert all(r[2] for r in written)
    assert backfilled == written
    c = LocalClient(url)
    try:
        assert [v.version for v in c.search_versions("flavor IS NULL").items] == [1]
        with pytest.raises(InvalidParameter, match="fraud-model"):
            c.create_model("fraud\u2010model")
    finally:
        c.close()


def test_logged_model_params_get_their_search_rows(tmp_path):
    """Migration 0015 copies the params logged models already have into the table that
    ``params.<key>`` filters search."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0014_uploads")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO mlflow_logged_models (model_id, experiment_id, name, model_type, "
                "status, status_message, params, created_at, updated_at, created_by) VALUES "
                "('m-1', '0', 'm', '', 'READY', '', '{\"lr\": \"0.1\"}', 1, 1, 'a')"))
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    from modelyard.domain.search import Compare, Field
    from modelyard.store.sql_store import SqlStore

    store = SqlStore(url)
    try:
        with store.read() as tx:
            found = tx.logged_models.search([], Compare(Field("param", "lr"), "=", "0.1"), [],
                                            0, 10)
        assert [m.model_id for m in found] == ["m-1"]
    finally:
        store.dispose()
