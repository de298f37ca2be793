"""names carry their confusable skeleton; unflavored versions store NULL

Revision ID: 0005
Revises: 0004

Projects, registered models and experiments get ``name_skeleton`` (the sha256 of the
name's confusable skeleton, ``modelyard.domain.names``), indexed, so refusing a
look-alike name is one query; existing rows are backfilled.  Existing look-alikes stay
as they are: only new names are checked.  ``model_versions.flavor`` becomes nullable
and the empty string that meant "no flavor" becomes NULL, so ``flavor IS NULL`` finds
those versions.

SQLite: no table is rebuilt.  Every connection enforces foreign keys, and dropping a
rebuilt table there would cascade to the manifests, tags and parents that point at it.
Columns are added and dropped in place, and the NOT NULL of ``flavor`` is changed in
the stored table definition, the procedure SQLite documents for removing a NOT NULL
constraint (the rows on disk do not change).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from modelyard.domain.names import skeleton_key

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NAMED = ("projects", "registered_models", "experiments")


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def upgrade() -> None:
    for table in NAMED:
        op.add_column(table, sa.Column('name_skeleton', sa.String(length=64), nullable=True))
        op.create_index(f'ix_{table}_name_skeleton', table, ['name_skeleton'], unique=False)
    _flavor_nullable(True)
    conn = op.get_bind()
    meta = sa.MetaData()
    for table_name in NAMED:
        named = sa.Table(table_name, meta, autoload_with=conn)
        for row_id, row_name in conn.execute(sa.select(named.c.id, named.c.name)).all():
            conn.execute(sa.update(named).where(named.c.id == row_id)
                         .values(name_skeleton=skeleton_key(row_name)))
    versions = sa.Table('model_versions', meta, autoload_with=conn)
    conn.execute(sa.update(versions).where(versions.c.flavor == '').values(flavor=None))


def downgrade() -> None:
    conn = op.get_bind()
    versions = sa.Table('model_versions', sa.MetaData(), autoload_with=conn)
    conn.execute(sa.update(versions).where(versions.c.flavor.is_(None)).values(flavor=''))
    _flavor_nullable(False)
    for table in reversed(NAMED):
        op.drop_index(f'ix_{table}_name_skeleton', table_name=table)
        if _sqlite():
            op.execute(f'ALTER TABLE {table} DROP COLUMN name_skeleton')
        else:
            op.drop_column(table, 'name_skeleton')


def _flavor_nullable(nullable: bool) -> None:
    if not _sqlite():
        op.alter_column('model_versions', 'flavor', existing_type=sa.String(length=64),
                        nullable=nullable, existing_server_default=None)
        return
    conn = op.get_bind()
    sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                               "AND name = 'model_versions'")).scalar_one()
    before, after = ((r'\bflavor VARCHAR\(64\) NOT NULL', 'flavor VARCHAR(64)') if nullable
                     else (r'\bflavor VARCHAR\(64\)(?! NOT NULL)', 'flavor VARCHAR(64) NOT NULL'))
    new_sql, count = re.subn(before, after, sql)
    if count != 1:
        raise RuntimeError("model_versions.flavor is not defined as migration 0001 made it")
    version = int(conn.execute(sa.text("PRAGMA schema_version")).scalar_one())
    conn.execute(sa.text("PRAGMA writable_schema = ON"))
    conn.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' "
                         "AND name = 'model_versions'"), {"sql": new_sql})
    conn.execute(sa.text(f"PRAGMA schema_version = {version + 1}"))
    conn.execute(sa.text("PRAGMA writable_schema = OFF"))
