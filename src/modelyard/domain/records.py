"""What repositories hand the domain: frozen records of stored rows.

A record carries what the domain decides with (surrogate ids, lifecycle fields) and is
distinct from the public entities in :mod:`modelyard.domain.entities`, which a
repository builds from records when the caller wants the whole object (tags, aliases
and the like, read in a batch).  The store maps each table's rows to its record in one
place (``store/mapping.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    id: int
    name: str
    description: str
    created_at: int
    created_by: str


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A registered model row with its project's name."""

    id: int
    name: str
    project_id: int
    project: str
    description: str
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted: bool


@dataclass(frozen=True)
class VersionRecord:
    """A model version row with its model's name.  Without slots, unlike the others:
    a page of 100 versions builds 100 of them, by :func:`~modelyard.domain.assembly.
    assembled` (a quarter of the constructor's time)."""

    id: int
    model_id: int
    model: str
    version: int
    status: str
    stage: str
    description: str
    source: str
    run_id: str | None
    flavor: str | None
    signature: dict[str, Any] | None
    metrics: dict[str, float]
    size: int
    file_count: int
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted_at: int | None

    @property
    def ref(self) -> str:
        return f"{self.model}/{self.version}"


@dataclass(frozen=True, slots=True)
class ExperimentRecord:
    id: int
    name: str
    artifact_location: str
    lifecycle_stage: str
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: int
    run_uuid: str
    experiment_id: int
    name: str
    status: str
    start_time: int
    end_time: int | None
    user_id: str
    lifecycle_stage: str
    parent_run_uuid: str | None
    deleted_at: int | None


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    id: int
    name: str
    description: str
    created_at: int
    created_by: str


@dataclass(frozen=True, slots=True)
class DatasetVersionRecord:
    """A dataset version row with its dataset's name."""

    id: int
    dataset_id: int
    name: str
    version: int
    digest: str
    source: str
    source_type: str
    description: str
    profile: dict[str, Any] | None
    tags: dict[str, str]
    size: int
    file_count: int
    created_at: int
    created_by: str

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass(frozen=True, slots=True)
class LoggedModelRecord:
    id: int
    model_id: str
    experiment_id: str
    name: str
    source_run_id: str | None
    model_type: str
    status: str
    params: dict[str, str]
    created_at: int
    updated_at: int
    created_by: str


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to append to the outbox."""

    type: str
    entity_type: str
    entity_id: str
    project: str
    actor: str
    time: int
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    entity_key: str | None = None
    model_id: int | None = None
    actor_id: str | None = None
    actor_token: str | None = None
    actor_address: str | None = None
    request_id: str | None = None
