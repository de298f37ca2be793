"""`modelyard db ...`: schema migrations."""

from __future__ import annotations

import click

from modelyard.cli.output import show


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--backend-store-uri", envvar="MODELYARD_BACKEND_STORE_URI", default=None,
              help="Database URL (default: sqlite in $MODELYARD_HOME).")
@click.option("--revision", default="head", show_default=True,
              help="Schema revision to migrate to.")
@click.pass_context
def upgrade(ctx: click.Context, backend_store_uri: str | None, revision: str) -> None:
    """Migrate the metadata database to the newest schema.

    Safe to run from several places at once: the upgrade holds a database lock, and
    whoever comes second finds the schema migrated already."""
    from modelyard.config import Settings
    from modelyard.store import migrate
    from modelyard.store.engine import redact
    from modelyard.store.sql_store import SqlStore

    settings = Settings.load({"backend_store_uri": backend_store_uri})
    store = SqlStore(settings.database_url)
    try:
        store.upgrade(revision)
        current = migrate.current_revision(store.engine)
    finally:
        store.dispose()
    show(ctx, {"database": redact(settings.database_url), "revision": current},
         lambda: click.echo(f"{redact(settings.database_url)} is at revision {current}"))


@db.command("current")
@click.option("--backend-store-uri", envvar="MODELYARD_BACKEND_STORE_URI", default=None,
              help="Database URL (default: sqlite in $MODELYARD_HOME).")
@click.pass_context
def current(ctx: click.Context, backend_store_uri: str | None) -> None:
    """Show the schema revision of the database."""
    from modelyard.config import Settings
    from modelyard.store import migrate
    from modelyard.store.engine import make_engine

    settings = Settings.load({"backend_store_uri": backend_store_uri})
    engine = make_engine(settings.database_url)
    try:
        rev = migrate.current_revision(engine)
    finally:
        engine.dispose()
    show(ctx, {"revision": rev, "head": migrate.head_revision()},
         lambda: click.echo(f"revision {rev} (newest: {migrate.head_revision()})"))
