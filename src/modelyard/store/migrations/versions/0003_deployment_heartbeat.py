"""deployments record when their server last said it is alive

Revision ID: 0003
Revises: 0002

``heartbeat_at`` is set by ``modelyard serve`` every few seconds; a deployment whose
heartbeat is older than the timeout is ended by the registry.  Deployments recorded
by hand (no heartbeat) keep NULL and are never ended that way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deployments', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
