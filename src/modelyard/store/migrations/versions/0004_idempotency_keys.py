"""idempotency keys: the first answer to a request sent with an Idempotency-Key

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    long_text = sa.Text().with_variant(mysql.LONGTEXT(), 'mysql') \
        .with_variant(mysql.LONGTEXT(), 'mariadb')
    op.create_table(
        'idempotency_keys',
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('content_type', sa.String(length=128), nullable=True),
        sa.Column('body', long_text, nullable=True),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_idempotency_keys')),
        mysql_charset='utf8mb4',
        mysql_collate='utf8mb4_bin',
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created_at')
    op.drop_table('idempotency_keys')
