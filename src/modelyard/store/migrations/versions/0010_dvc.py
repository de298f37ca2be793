"""the DVC remote: each project's object index (DVC md5 object id -> sha256 of record)

Revision ID: 0010_dvc
Revises: 0007
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0010_dvc'
down_revision = '0007'
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table('dvc_objects',
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('oid', sa.String(length=40), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('is_dir', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE',
                            name=op.f('fk_dvc_objects_project_id_projects')),
    sa.PrimaryKeyConstraint('project_id', 'oid', name=op.f('pk_dvc_objects')),
    **MYSQL)
    op.create_index('ix_dvc_objects_sha256', 'dvc_objects', ['sha256'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_dvc_objects_sha256', table_name='dvc_objects')
    op.drop_table('dvc_objects')
