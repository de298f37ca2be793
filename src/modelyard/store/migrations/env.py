"""Alembic environment: runs against the connection that ``modelyard.store.migrate`` gives."""

from __future__ import annotations

from alembic import context

from modelyard.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through modelyard.store.migrate
    raise RuntimeError("run migrations with `modelyard db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
