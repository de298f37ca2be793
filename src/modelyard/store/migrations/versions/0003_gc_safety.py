"""named locks: the row garbage collection and manifest commits order themselves on

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'locks',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_locks')),
        mysql_charset='utf8mb4', mysql_collate='utf8mb4_bin',
    )
    op.bulk_insert(table, [{'name': 'gc'}])


def downgrade() -> None:
    op.drop_table('locks')
