"""upload sessions: when a session began completing in place (schema_uploads.py)

Only adds a column (SQLite tables are never rebuilt).

Revision ID: 0016_upload_verifying
Revises: 0015_mlflow_io
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016_upload_verifying'
down_revision = '0015_mlflow_io'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('upload_sessions', sa.Column('verifying_at', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('upload_sessions', 'verifying_at')
