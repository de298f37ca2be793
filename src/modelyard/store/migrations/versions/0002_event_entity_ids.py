"""events carry the entity's surrogate id, the model's id and the actor's id

Revision ID: 0002
Revises: 0001

Existing events are backfilled where the rows still exist.  Model, version and alias
events named the model as it was called at the time; the history is replayed from
the newest event to the oldest, starting from today's names, undoing each rename,
creation, deletion and restore, so every event finds the model it was about.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

MODEL_SCOPED = ("model", "version", "alias", "deployment")


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entity_key', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('model_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('actor_id', sa.String(length=256), nullable=True))
        batch_op.create_index('ix_events_model_id', ['model_id'], unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_model_id')
        batch_op.drop_column('actor_id')
        batch_op.drop_column('model_id')
        batch_op.drop_column('entity_key')


def _model_name(entity_type: str, entity_id: str, payload: dict[str, Any]) -> str | None:
    if entity_type == "model":
        return entity_id
    if entity_type == "version":
        return entity_id.rpartition("/")[0] or None
    if entity_type == "alias":
        return entity_id.rpartition("@")[0] or None
    model = (payload.get("after") or payload.get("before") or {}).get("model")
    return model if isinstance(model, str) else None


def _backfill(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    events = sa.Table("events", meta, autoload_with=conn)
    models = sa.Table("registered_models", meta, autoload_with=conn)
    versions = sa.Table("model_versions", meta, autoload_with=conn)
    projects = sa.Table("projects", meta, autoload_with=conn)

    live = {name: mid for mid, name in conn.execute(
        sa.select(models.c.id, models.c.name).where(models.c.deleted_id == 0))}
    deleted = {(name, at): mid for mid, name, at in conn.execute(
        sa.select(models.c.id, models.c.name, models.c.deleted_at)
        .where(models.c.deleted_id != 0))}
    version_ids = {(mid, n): vid for vid, mid, n in conn.execute(
        sa.select(versions.c.id, versions.c.model_id, versions.c.version))}
    project_ids = {name: pid for pid, name in conn.execute(
        sa.select(projects.c.id, projects.c.name))}

    rows = conn.execute(sa.select(events.c.id, events.c.type, events.c.entity_type,
                                  events.c.entity_id, events.c.time, events.c.payload)
                        .order_by(events.c.id.desc())).all()
    names = dict(live)  # name -> model id, as of the event being looked at
    restored: dict[str, int] = {}  # restored models, deleted before their restore event
    for eid, type_, entity_type, entity_id, time_, raw in rows:
        payload = json.loads(raw) if raw else {}
        key: str | None = entity_id
        model_id = None
        if entity_type in MODEL_SCOPED:
            name = _model_name(entity_type, entity_id, payload)
            if type_ == "model.deleted" and name is not None:
                # Before this event (going back) the deleted model was live again.
                found = deleted.get((name, time_)) or restored.pop(name, None)
                if found is not None:
                    names[name] = found
            model_id = names.get(name) if name is not None else None
            if type_ == "model.renamed" and model_id is not None:
                old = (payload.get("before") or {}).get("name")
                names.pop(entity_id, None)
                if isinstance(old, str):
                    names[old] = model_id
            elif type_ == "model.restored" and name is not None and model_id is not None:
                restored[name] = names.pop(name)
            elif type_ == "model.created" and name is not None:
                names.pop(name, None)
            if entity_type == "model":
                key = None if model_id is None else str(model_id)
            elif entity_type == "version" and model_id is not None:
                number = entity_id.rpartition("/")[2]
                vid = version_ids.get((model_id, int(number))) if number.isdigit() else None
                key = None if vid is None else str(vid)
            elif entity_type == "alias":
                key = None if model_id is None else f"{model_id}@{entity_id.rpartition('@')[2]}"
        elif entity_type == "project":
            pid = project_ids.get(entity_id)
            key = None if pid is None else str(pid)
        elif entity_type == "dataset":
            key = None  # dataset versions were named name/number; not backfilled
        conn.execute(sa.update(events).where(events.c.id == eid)
                     .values(entity_key=key, model_id=model_id))
