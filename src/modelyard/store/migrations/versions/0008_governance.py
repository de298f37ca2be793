"""lifecycle governance: project policies, transition requests and their decisions,
alias history; events indexed by actor and type for the audit

Revision ID: 0008_governance
Revises: 0007
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0008_governance'
down_revision = '0013_access_more'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

# Event types named as webhook subscribers know them.
RENAMED = [("version.created", "model_version.created"), ("alias.set", "alias.moved"),
           ("version.stage_changed", "stage.changed")]


def upgrade() -> None:
    op.create_table('project_policies',
    sa.Column('project_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.BigInteger(), nullable=False),
    sa.Column('updated_by', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE',
                            name=op.f('fk_project_policies_project_id_projects')),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project_policies')),
    **MYSQL)
    op.create_table('transition_requests',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('model_id', sa.BigInteger(), nullable=False),
    sa.Column('version_id', sa.BigInteger(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=64), nullable=False),
    sa.Column('to_stage', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requester', sa.String(length=256), nullable=False),
    sa.Column('needed', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('allow_requester', sa.Boolean(), nullable=False),
    sa.Column('archive_existing', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', sa.BigInteger(), nullable=True),
    sa.Column('closed_by', sa.String(length=256), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['registered_models.id'], ondelete='CASCADE',
                            name=op.f('fk_transition_requests_model_id_registered_models')),
    sa.ForeignKeyConstraint(['version_id'], ['model_versions.id'], ondelete='CASCADE',
                            name=op.f('fk_transition_requests_version_id_model_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transition_requests')),
    **MYSQL)
    op.create_index('ix_transition_requests_model', 'transition_requests',
                    ['model_id', 'status'], unique=False)
    op.create_index('ix_transition_requests_version', 'transition_requests',
                    ['version_id', 'status'], unique=False)
    op.create_table('request_decisions',
    sa.Column('request_id', sa.BigInteger(), nullable=False),
    sa.Column('decided_by', sa.String(length=256), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['transition_requests.id'], ondelete='CASCADE',
                            name=op.f('fk_request_decisions_request_id_transition_requests')),
    sa.PrimaryKeyConstraint('request_id', 'decided_by', name=op.f('pk_request_decisions')),
    **MYSQL)
    op.create_table('alias_history',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('model_id', sa.BigInteger(), nullable=False),
    sa.Column('alias', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.BigInteger(), nullable=False),
    sa.Column('valid_to', sa.BigInteger(), nullable=True),
    sa.Column('moved_by', sa.String(length=256), nullable=False),
    sa.Column('via', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['registered_models.id'], ondelete='CASCADE',
                            name=op.f('fk_alias_history_model_id_registered_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alias_history')),
    **MYSQL)
    op.create_index('ix_alias_history_at', 'alias_history',
                    ['model_id', 'alias', 'valid_from'], unique=False)
    op.create_index('ix_events_actor', 'events', ['actor'], unique=False)
    op.create_index('ix_events_type', 'events', ['type'], unique=False)
    for old, new in RENAMED:
        op.execute(sa.text("UPDATE events SET type = :new WHERE type = :old")
                   .bindparams(old=old, new=new))


def downgrade() -> None:
    for old, new in RENAMED:
        op.execute(sa.text("UPDATE events SET type = :old WHERE type = :new")
                   .bindparams(old=old, new=new))
    op.drop_index('ix_events_type', table_name='events')
    op.drop_index('ix_events_actor', table_name='events')
    op.drop_index('ix_alias_history_at', table_name='alias_history')
    op.drop_table('alias_history')
    op.drop_table('request_decisions')
    op.drop_index('ix_transition_requests_version', table_name='transition_requests')
    op.drop_index('ix_transition_requests_model', table_name='transition_requests')
    op.drop_table('transition_requests')
    op.drop_table('project_policies')
