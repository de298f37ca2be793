"""The catalogue of event types, and the one function that writes an event (inside the
change's transaction).

An event names its entity twice: ``entity_id`` is the name it had at the time
(``fraud/3``, ``fraud@champion``, a run id), ``entity_key`` its stable surrogate id
(the version's row id, ...), which survives renames.  Events of a model, its versions,
aliases and deployments also carry ``model_id``, the model's surrogate id, so a
model's history can be followed through renames.  The actor is recorded by principal
name and, once principals have ids, by id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from modelyard.domain.entities import Principal
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord, NewEvent, VersionRecord


class EventType(StrEnum):
    PROJECT_CREATED = "project.created"
    MODEL_CREATED = "model.created"
    MODEL_UPDATED = "model.updated"
    MODEL_RENAMED = "model.renamed"
    MODEL_DELETED = "model.deleted"
    MODEL_RESTORED = "model.restored"
    MODEL_TAG_SET = "model.tag_set"
    MODEL_TAG_DELETED = "model.tag_deleted"
    VERSION_CREATED = "version.created"
    VERSION_UPDATED = "version.updated"
    VERSION_DELETED = "version.deleted"
    VERSION_RESTORED = "version.restored"
    VERSION_TAG_SET = "version.tag_set"
    VERSION_TAG_DELETED = "version.tag_deleted"
    VERSION_STAGE_CHANGED = "version.stage_changed"
    ALIAS_SET = "alias.set"
    ALIAS_DELETED = "alias.deleted"
    EXPERIMENT_CREATED = "experiment.created"
    EXPERIMENT_RENAMED = "experiment.renamed"
    EXPERIMENT_DELETED = "experiment.deleted"
    EXPERIMENT_RESTORED = "experiment.restored"
    EXPERIMENT_TAG_SET = "experiment.tag_set"
    EXPERIMENT_TAG_DELETED = "experiment.tag_deleted"
    RUN_CREATED = "run.created"
    RUN_UPDATED = "run.updated"
    RUN_DELETED = "run.deleted"
    RUN_RESTORED = "run.restored"
    RUN_LOGGED = "run.logged"
    RUN_TAG_DELETED = "run.tag_deleted"
    RUN_INPUTS_LOGGED = "run.inputs_logged"
    RUN_ARTIFACTS_ADDED = "run.artifacts_added"
    RUN_OUTPUTS_LOGGED = "run.outputs_logged"
    DATASET_VERSION_CREATED = "dataset.version_created"
    DEPLOYMENT_STARTED = "deployment.started"
    DEPLOYMENT_ENDED = "deployment.ended"
    LOGGED_MODEL_CREATED = "logged_model.created"
    LOGGED_MODEL_FINALIZED = "logged_model.finalized"
    LOGGED_MODEL_FILES_ADDED = "logged_model.files_added"
    LOGGED_MODEL_TAG_SET = "logged_model.tag_set"
    LOGGED_MODEL_TAG_DELETED = "logged_model.tag_deleted"
    LOGGED_MODEL_DELETED = "logged_model.deleted"
    GC_PURGED = "gc.purged"


# The names the modules used before the catalogue existed.
PROJECT_CREATED = EventType.PROJECT_CREATED
MODEL_CREATED = EventType.MODEL_CREATED
MODEL_UPDATED = EventType.MODEL_UPDATED
MODEL_RENAMED = EventType.MODEL_RENAMED
MODEL_DELETED = EventType.MODEL_DELETED
MODEL_RESTORED = EventType.MODEL_RESTORED
MODEL_TAG_SET = EventType.MODEL_TAG_SET
MODEL_TAG_DELETED = EventType.MODEL_TAG_DELETED
VERSION_CREATED = EventType.VERSION_CREATED
VERSION_UPDATED = EventType.VERSION_UPDATED
VERSION_DELETED = EventType.VERSION_DELETED
VERSION_RESTORED = EventType.VERSION_RESTORED
VERSION_TAG_SET = EventType.VERSION_TAG_SET
VERSION_TAG_DELETED = EventType.VERSION_TAG_DELETED
VERSION_STAGE_CHANGED = EventType.VERSION_STAGE_CHANGED
ALIAS_SET = EventType.ALIAS_SET
ALIAS_DELETED = EventType.ALIAS_DELETED


def record(tx: Transaction, now: int, actor: Principal, type: EventType, entity_type: str,
           entity_id: str, project: str = "default", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, *, key: str | int | None = None,
           model_id: int | None = None) -> None:
    """Append an event; ``key`` is the entity's surrogate id (``entity_id`` when None:
    runs, experiments, deployments and logged models are named by theirs)."""
    tx.events.append(NewEvent(type=str(type), entity_type=entity_type, entity_id=entity_id,
                              project=project, actor=actor.name, time=now, before=before,
                              after=after, entity_key=str(entity_id if key is None else key),
                              model_id=model_id, actor_id=actor.id))


def on_model(tx: Transaction, now: int, actor: Principal, type: EventType, model: ModelRecord,
             name: str | None = None, before: dict[str, Any] | None = None,
             after: dict[str, Any] | None = None) -> None:
    """An event of a model, named ``name`` (default: its name as read)."""
    record(tx, now, actor, type, "model", name or model.name, model.project, before, after,
           key=model.id, model_id=model.id)


def on_version(tx: Transaction, now: int, actor: Principal, type: EventType,
               model: ModelRecord, version: VersionRecord, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None, *, name: str | None = None) -> None:
    record(tx, now, actor, type, "version", f"{name or model.name}/{version.version}",
           model.project, before, after, key=version.id, model_id=model.id)


def on_alias(tx: Transaction, now: int, actor: Principal, type: EventType, model: ModelRecord,
             alias: str, name: str, before: dict[str, Any] | None = None,
             after: dict[str, Any] | None = None) -> None:
    record(tx, now, actor, type, "alias", f"{name}@{alias}", model.project, before, after,
           key=f"{model.id}@{alias}", model_id=model.id)
