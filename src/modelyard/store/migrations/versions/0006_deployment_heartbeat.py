"""deployments record when their server last said it is alive

Revision ID: 0006
Revises: 0005

``heartbeat_at`` is set by ``modelyard serve`` every few seconds; a deployment whose
heartbeat is older than the timeout is ended by the registry.  Deployments recorded
by hand (no heartbeat) keep NULL and are never ended that way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place, never a table rebuild: SQLite's rebuild would cascade through foreign keys.
    op.add_column('deployments', sa.Column('heartbeat_at', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('deployments', 'heartbeat_at')
