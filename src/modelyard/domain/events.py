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

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

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
    VERSION_CREATED = "model_version.created"
    VERSION_UPDATED = "version.updated"
    VERSION_DELETED = "version.deleted"
    VERSION_RESTORED = "version.restored"
    VERSION_TAG_SET = "version.tag_set"
    VERSION_TAG_DELETED = "version.tag_deleted"
    VERSION_STAGE_CHANGED = "stage.changed"
    ALIAS_SET = "alias.moved"
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
    RUN_ARTIFACTS_DELETED = "run.artifacts_deleted"  # payload in run_artifacts.py
    RUN_OUTPUTS_LOGGED = "run.outputs_logged"
    DATASET_VERSION_CREATED = "dataset.version_created"
    DEPLOYMENT_STARTED = "deployment.started"
    DEPLOYMENT_ENDED = "deployment.ended"
    LOGGED_MODEL_CREATED = "logged_model.created"
    LOGGED_MODEL_FINALIZED = "logged_model.finalized"
    LOGGED_MODEL_FILES_ADDED = "logged_model.files_added"
    LOGGED_MODEL_TAG_SET = "logged_model.tag_set"
    LOGGED_MODEL_PARAMS_LOGGED = "logged_model.params_logged"
    LOGGED_MODEL_TAG_DELETED = "logged_model.tag_deleted"
    LOGGED_MODEL_DELETED = "logged_model.deleted"
    GC_PURGED = "gc.purged"
    # lifecycle governance (payloads in governance_events.py)
    POLICY_SET = "policy.set"
    POLICY_DELETED = "policy.deleted"
    REQUEST_OPENED = "request.opened"
    REQUEST_APPROVED = "request.approved"
    REQUEST_REJECTED = "request.rejected"
    REQUEST_CANCELLED = "request.cancelled"
    REQUEST_FAILED = "request.failed"


@dataclass(frozen=True, slots=True)
class Payload:
    """What an event says about the change.  Fields named ``old_*`` are the state
    before it (the event's ``before``, without the prefix), the others the state after
    (``after``)."""

    type: ClassVar[StrEnum]  # an EventType, or an AccessEventType (access_events.py)

    def parts(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("old_"):
                before[f.name[4:]] = value
            else:
                after[f.name] = value
        return before or None, after or None


def _payload(event_type: EventType) -> Callable[[type[P]], type[P]]:
    def register(cls: type[P]) -> type[P]:
        cls.type = event_type
        PAYLOADS[event_type] = cls
        return cls
    return register


P = TypeVar("P", bound=Payload)
PAYLOADS: dict[EventType, type[Payload]] = {}
E = EventType


@_payload(E.PROJECT_CREATED)
@dataclass(frozen=True, slots=True)
class ProjectCreated(Payload):
    pass


@_payload(E.MODEL_CREATED)
@dataclass(frozen=True, slots=True)
class ModelCreated(Payload):
    description: str
    tags: dict[str, str]


@_payload(E.MODEL_UPDATED)
@dataclass(frozen=True, slots=True)
class ModelUpdated(Payload):
    old_description: str
    description: str


@_payload(E.MODEL_RENAMED)
@dataclass(frozen=True, slots=True)
class ModelRenamed(Payload):
    old_name: str
    name: str


@_payload(E.MODEL_DELETED)
@dataclass(frozen=True, slots=True)
class ModelDeleted(Payload):
    pass


@_payload(E.MODEL_RESTORED)
@dataclass(frozen=True, slots=True)
class ModelRestored(Payload):
    pass


@_payload(E.MODEL_TAG_SET)
@dataclass(frozen=True, slots=True)
class ModelTagSet(Payload):
    key: str
    value: str


@_payload(E.MODEL_TAG_DELETED)
@dataclass(frozen=True, slots=True)
class ModelTagDeleted(Payload):
    old_key: str


@_payload(E.VERSION_CREATED)
@dataclass(frozen=True, slots=True)
class VersionCreated(Payload):
    files: int
    size: int
    run_id: str | None
    source: str


@_payload(E.VERSION_UPDATED)
@dataclass(frozen=True, slots=True)
class VersionUpdated(Payload):
    old_description: str
    description: str


@_payload(E.VERSION_DELETED)
@dataclass(frozen=True, slots=True)
class VersionDeleted(Payload):
    old_aliases: list[str]
    old_stage: str


@_payload(E.VERSION_RESTORED)
@dataclass(frozen=True, slots=True)
class VersionRestored(Payload):
    pass


@_payload(E.VERSION_TAG_SET)
@dataclass(frozen=True, slots=True)
class VersionTagSet(Payload):
    key: str
    value: str


@_payload(E.VERSION_TAG_DELETED)
@dataclass(frozen=True, slots=True)
class VersionTagDeleted(Payload):
    old_key: str


@_payload(E.VERSION_STAGE_CHANGED)
@dataclass(frozen=True, slots=True)
class VersionStageChanged(Payload):
    old_stage: str
    stage: str
    archived: list[int]
    request_id: int | None = None


@_payload(E.ALIAS_SET)
@dataclass(frozen=True, slots=True)
class AliasSet(Payload):
    old_version: int | None
    version: int
    via: str = "set"
    request_id: int | None = None


@_payload(E.ALIAS_DELETED)
@dataclass(frozen=True, slots=True)
class AliasDeleted(Payload):
    old_version: int | None


@_payload(E.EXPERIMENT_CREATED)
@dataclass(frozen=True, slots=True)
class ExperimentCreated(Payload):
    name: str
    tags: dict[str, str]


@_payload(E.EXPERIMENT_RENAMED)
@dataclass(frozen=True, slots=True)
class ExperimentRenamed(Payload):
    old_name: str
    name: str


@_payload(E.EXPERIMENT_DELETED)
@dataclass(frozen=True, slots=True)
class ExperimentDeleted(Payload):
    pass


@_payload(E.EXPERIMENT_RESTORED)
@dataclass(frozen=True, slots=True)
class ExperimentRestored(Payload):
    pass


@_payload(E.EXPERIMENT_TAG_SET)
@dataclass(frozen=True, slots=True)
class ExperimentTagSet(Payload):
    key: str
    value: str


@_payload(E.EXPERIMENT_TAG_DELETED)
@dataclass(frozen=True, slots=True)
class ExperimentTagDeleted(Payload):
    old_key: str


@_payload(E.RUN_CREATED)
@dataclass(frozen=True, slots=True)
class RunCreated(Payload):
    experiment_id: str
    run_name: str
    parent_run_id: str | None


@_payload(E.RUN_UPDATED)
@dataclass(frozen=True, slots=True)
class RunUpdated(Payload):
    """Only what changed: a field whose new value is None was not given."""

    old_status: str | None = None
    old_end_time: int | None = None
    old_name: str | None = None
    status: str | None = None
    end_time: int | None = None
    name: str | None = None

    def parts(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        after = {k: v for k, v in (("status", self.status), ("end_time", self.end_time),
                                   ("name", self.name)) if v is not None}
        old = {"status": self.old_status, "end_time": self.old_end_time, "name": self.old_name}
        return {k: old[k] for k in after}, after


@_payload(E.RUN_DELETED)
@dataclass(frozen=True, slots=True)
class RunDeleted(Payload):
    pass


@_payload(E.RUN_RESTORED)
@dataclass(frozen=True, slots=True)
class RunRestored(Payload):
    pass


@_payload(E.RUN_LOGGED)
@dataclass(frozen=True, slots=True)
class RunLogged(Payload):
    metrics: int
    metric_keys: list[str]
    params: list[str]
    tags: list[str]


@_payload(E.RUN_TAG_DELETED)
@dataclass(frozen=True, slots=True)
class RunTagDeleted(Payload):
    old_key: str


@_payload(E.RUN_INPUTS_LOGGED)
@dataclass(frozen=True, slots=True)
class RunInputsLogged(Payload):
    datasets: list[str]
    models: list[str] | None = None  # logged models read (MLflow's model inputs)


@_payload(E.RUN_ARTIFACTS_ADDED)
@dataclass(frozen=True, slots=True)
class RunArtifactsAdded(Payload):
    files: int
    size: int
    prefix: str


@_payload(E.RUN_OUTPUTS_LOGGED)
@dataclass(frozen=True, slots=True)
class RunOutputsLogged(Payload):
    models: list[str]


@_payload(E.DATASET_VERSION_CREATED)
@dataclass(frozen=True, slots=True)
class DatasetVersionCreated(Payload):
    digest: str
    files: int
    source: str


@_payload(E.DEPLOYMENT_STARTED)
@dataclass(frozen=True, slots=True)
class DeploymentStarted(Payload):
    model: str
    version: int
    endpoint: str
    environment: str


@_payload(E.DEPLOYMENT_ENDED)
@dataclass(frozen=True, slots=True)
class DeploymentEnded(Payload):
    old_model: str
    old_version: int
    old_endpoint: str


@_payload(E.LOGGED_MODEL_CREATED)
@dataclass(frozen=True, slots=True)
class LoggedModelCreated(Payload):
    name: str
    experiment_id: str
    source_run_id: str | None


@_payload(E.LOGGED_MODEL_FINALIZED)
@dataclass(frozen=True, slots=True)
class LoggedModelFinalized(Payload):
    old_status: str
    status: str


@_payload(E.LOGGED_MODEL_FILES_ADDED)
@dataclass(frozen=True, slots=True)
class LoggedModelFilesAdded(Payload):
    files: int
    size: int


@_payload(E.LOGGED_MODEL_TAG_SET)
@dataclass(frozen=True, slots=True)
class LoggedModelTagSet(Payload):
    tags: list[str]


@_payload(E.LOGGED_MODEL_TAG_DELETED)
@dataclass(frozen=True, slots=True)
class LoggedModelTagDeleted(Payload):
    old_key: str


@_payload(E.LOGGED_MODEL_DELETED)
@dataclass(frozen=True, slots=True)
class LoggedModelDeleted(Payload):
    pass


@_payload(E.GC_PURGED)
@dataclass(frozen=True, slots=True)
class GcPurged(Payload):
    versions: int
    models: int


def record(tx: Transaction, now: int, actor: Principal, payload: Payload, entity_type: str,
           entity_id: str, project: str = "default", *, key: str | int | None = None,
           model_id: int | None = None) -> None:
    """Append an event; ``key`` is the entity's surrogate id (``entity_id`` when None:
    runs, experiments, deployments and logged models are named by theirs)."""
    before, after = payload.parts()
    tx.events.append(NewEvent(type=str(payload.type), entity_type=entity_type,
                              entity_id=entity_id,
                              project=project, actor=actor.name, time=now, before=before,
                              after=after, entity_key=str(entity_id if key is None else key),
                              model_id=model_id, actor_id=actor.id,
                              actor_token=actor.token_id, actor_address=actor.address,
                              request_id=actor.request_id))


def on_model(tx: Transaction, now: int, actor: Principal, payload: Payload,
             model: ModelRecord, name: str | None = None) -> None:
    """An event of a model, named ``name`` (default: its name as read)."""
    record(tx, now, actor, payload, "model", name or model.name, model.project,
           key=model.id, model_id=model.id)


def on_version(tx: Transaction, now: int, actor: Principal, payload: Payload,
               model: ModelRecord, version: VersionRecord) -> None:
    record(tx, now, actor, payload, "version", f"{model.name}/{version.version}",
           model.project, key=version.id, model_id=model.id)


def on_alias(tx: Transaction, now: int, actor: Principal, payload: Payload,
             model: ModelRecord, alias: str) -> None:
    record(tx, now, actor, payload, "alias", f"{model.name}@{alias}", model.project,
           key=f"{model.id}@{alias}", model_id=model.id)
