"""An index of aliases by the version they name (schema.py aliases): the aliases of a
page of versions are read without reading every alias of their models.

Only adds an index.

Revision ID: 0016_alias_index
Revises: 0015_mlflow_io
"""

from __future__ import annotations

from alembic import op

revision = '0016_alias_index'
down_revision = '0015_mlflow_io'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_aliases_model_version', 'aliases', ['model_id', 'version'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_aliases_model_version', table_name='aliases')
