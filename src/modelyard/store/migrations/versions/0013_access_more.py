"""access control: failed logins and bad tokens in a table every server process shares
(a sliding window per user and per address)

Revision ID: 0013_access_more
Revises: 0007
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0013_access_more'
down_revision = '0010_dvc'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table('auth_failures',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_failures')),
    **MYSQL)
    op.create_index('ix_auth_failures_key_at', 'auth_failures', ['key', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_auth_failures_key_at', table_name='auth_failures')
    op.drop_table('auth_failures')
