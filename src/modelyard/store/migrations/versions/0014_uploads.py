"""upload sessions (schema_uploads.py)

Revision ID: 0014_uploads
Revises: 0009_webhooks
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0014_uploads'
down_revision = '0009_webhooks'
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table('upload_sessions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('part_size', sa.BigInteger(), nullable=True),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('handle', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('expires_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_sessions')),
    **MYSQL)
    op.create_index('ix_upload_sessions_expires_at', 'upload_sessions', ['expires_at'],
                    unique=False)
    op.create_index('ix_upload_sessions_digest', 'upload_sessions', ['digest'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_upload_sessions_digest', table_name='upload_sessions')
    op.drop_index('ix_upload_sessions_expires_at', table_name='upload_sessions')
    op.drop_table('upload_sessions')
