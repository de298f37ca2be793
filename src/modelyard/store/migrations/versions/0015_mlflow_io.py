"""MLflow runs' inputs and outputs: input tags, model inputs, logged-model metrics and
params a row each (schema_tracking.py run_inputs.tags, schema_mlflow.py)

Only adds a column and tables (SQLite tables are never rebuilt).

Revision ID: 0015_mlflow_io
Revises: 0009_webhooks
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0015_mlflow_io'
down_revision = '0014_uploads'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.add_column('run_inputs', sa.Column('tags', sa.Text(), nullable=True))
    op.create_table('mlflow_run_model_inputs',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('model_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('run_id', 'model_id', name=op.f('pk_mlflow_run_model_inputs')),
    **MYSQL)
    op.create_table('mlflow_logged_model_metrics',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('logged_model_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Double(), nullable=False),
    sa.Column('kind', sa.SmallInteger(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('step', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('dataset_name', sa.String(length=256), nullable=True),
    sa.Column('dataset_digest', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(
        ['logged_model_id'], ['mlflow_logged_models.id'],
        name=op.f('fk_mlflow_logged_model_metrics_logged_model_id_mlflow_logged_models'),
        ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mlflow_logged_model_metrics')),
    **MYSQL)
    op.create_index('ix_mlflow_logged_model_metrics_model_key', 'mlflow_logged_model_metrics',
                    ['logged_model_id', 'key'], unique=False)
    params = op.create_table('mlflow_logged_model_params',
    sa.Column('logged_model_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(
        ['logged_model_id'], ['mlflow_logged_models.id'],
        name=op.f('fk_mlflow_logged_model_params_logged_model_id_mlflow_logged_models'),
        ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('logged_model_id', 'key',
                            name=op.f('pk_mlflow_logged_model_params')),
    **MYSQL)
    # The params logged models have already, one row each (their JSON stays as it is).
    models = sa.table('mlflow_logged_models', sa.column('id', sa.BigInteger()),
                      sa.column('params', sa.Text()))
    conn = op.get_bind()
    rows = []
    for lid, text in conn.execute(sa.select(models.c.id, models.c.params)
                                  .where(models.c.params.is_not(None))):
        try:
            found = json.loads(text)
        except ValueError:
            continue
        if isinstance(found, dict):
            rows += [{'logged_model_id': lid, 'key': str(k)[:250], 'value': str(v)}
                     for k, v in found.items()]
    if rows:
        op.bulk_insert(params, rows)


def downgrade() -> None:
    op.drop_table('mlflow_logged_model_params')
    op.drop_index('ix_mlflow_logged_model_metrics_model_key',
                  table_name='mlflow_logged_model_metrics')
    op.drop_table('mlflow_logged_model_metrics')
    op.drop_table('mlflow_run_model_inputs')
    op.drop_column('run_inputs', 'tags')
