"""What the domain needs from the outside, as Protocols.

- :class:`MetadataStore` opens transactions (``read()`` / ``write()``); a transaction
  exposes one repository per aggregate, each a Protocol below that takes and returns
  frozen records (:mod:`modelyard.domain.records`) or entities, never rows.
  Implemented by ``store/sql_store.py``; :mod:`modelyard.testing.metadata` is the
  behaviour every implementation must have.
- :class:`BlobStore` keeps content-addressed bytes.  Implemented in ``artifacts/``.
- :class:`Clock` gives the time, so tests can pass a fixed one.

Repositories are only called inside a transaction.  Writes on one model (or run,
experiment, logged model) first take that row's lock (``touch_model``,
``run(lock=True)`` ...), which orders concurrent writers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO, Protocol

from modelyard.domain.entities import (
    Dataset,
    DatasetVersion,
    Deployment,
    Event,
    Experiment,
    FileEntry,
    LoggedModel,
    Metric,
    ModelVersion,
    Project,
    RegisteredModel,
    Run,
)
from modelyard.domain.records import (
    DatasetRecord,
    DatasetVersionRecord,
    ExperimentRecord,
    LoggedModelRecord,
    ModelRecord,
    NewEvent,
    RunRecord,
    VersionRecord,
)
from modelyard.domain.search import Node, OrderKey


class ProjectRepository(Protocol):
    def project_id(self, name: str) -> int | None: ...

    def insert_project(self, name: str, description: str, now: int, actor: str) -> int:
        """Raises AlreadyExists when the name is taken."""
        ...

    def list_projects(self) -> list[Project]: ...


class ModelRepository(Protocol):
    def model(self, name: str, *, deleted: bool = False) -> ModelRecord | None:
        """The live model of that name, or (``deleted``) the latest soft-deleted one."""
        ...

    def insert_model(self, name: str, project_id: int, description: str, now: int,
                     actor: str) -> int:
        """Raises AlreadyExists when a live model has the name."""
        ...

    def touch_model(self, model_id: int, now: int, actor: str) -> None:
        """Mark the model updated; takes the row lock that orders writers on it."""
        ...

    def set_model_description(self, model_id: int, description: str, now: int,
                              actor: str) -> None: ...

    def rename_model(self, model_id: int, name: str, now: int, actor: str) -> None:
        """Raises AlreadyExists when a live model has the new name."""
        ...

    def set_model_deleted(self, model_id: int, deleted: bool, now: int, actor: str) -> None:
        """Soft-delete or restore; restoring raises AlreadyExists if the name is taken."""
        ...

    def next_version(self, model_id: int) -> int:
        """The next version number, without gaps (under the model's row lock)."""
        ...

    def set_model_tag(self, model_id: int, key: str, value: str) -> None: ...

    def delete_model_tag(self, model_id: int, key: str) -> bool: ...

    def model_entity(self, model: ModelRecord) -> RegisteredModel: ...

    def model_entities(self, models: list[ModelRecord]) -> list[RegisteredModel]: ...

    def search_models(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                      *, deleted: bool = False) -> list[RegisteredModel]: ...


class VersionRepository(Protocol):
    def insert_version(self, model_id: int, number: int, *, status: str, description: str,
                       source: str, run_id: str | None, flavor: str,
                       signature: dict[str, Any] | None, metrics: dict[str, float] | None,
                       files: list[FileEntry], tags: dict[str, str], now: int,
                       actor: str) -> int: ...

    def add_parent(self, version_id: int, parent_id: int, relation: str) -> None: ...

    def version(self, model_id: int, number: int, *,
                deleted: bool | None = False) -> VersionRecord | None: ...

    def live_version(self, name: str, *, number: int | None = None,
                     alias: str | None = None) -> VersionRecord | None:
        """A live model's live version by number or alias, in one query."""
        ...

    def version_by_id(self, version_id: int) -> VersionRecord | None: ...

    def latest_version(self, model_id: int, stage: str | None = None) -> VersionRecord | None:
        """The highest READY live version (in ``stage``, case-insensitive, if given)."""
        ...

    def latest_by_stage(self, names: list[str]) -> list[VersionRecord]:
        """For live models in ``names``: the latest READY version of each stage."""
        ...

    def versions_in_stage(self, model_id: int, stage: str) -> list[VersionRecord]: ...

    def update_version(self, version_id: int, now: int, actor: str, *,
                       description: str | None = None, stage: str | None = None) -> None: ...

    def set_version_deleted(self, version_id: int, deleted_at: int | None, now: int,
                            actor: str) -> None: ...

    def set_version_tag(self, version_id: int, key: str, value: str) -> None: ...

    def delete_version_tag(self, version_id: int, key: str) -> bool: ...

    def files(self, version_id: int) -> list[FileEntry]: ...

    def file(self, version_id: int, path: str) -> FileEntry | None: ...

    def version_entity(self, version: VersionRecord, *,
                       with_files: bool = False) -> ModelVersion: ...

    def version_entities(self, versions: list[VersionRecord], *,
                         with_files: bool = False) -> list[ModelVersion]: ...

    def search_versions(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                        *, deleted: bool = False) -> list[ModelVersion]: ...

    def purge_deleted(self, before: int) -> tuple[int, int]:
        """Remove versions and models soft-deleted before ``before``: (versions, models)."""
        ...

    def referenced_digests(self) -> set[str]: ...


class AliasRepository(Protocol):
    def alias_version(self, model_id: int, alias: str) -> int | None: ...

    def set_alias(self, model_id: int, alias: str, version: int, now: int, actor: str) -> None: ...

    def delete_alias(self, model_id: int, alias: str) -> bool: ...

    def aliases_of(self, model_id: int, version: int) -> list[str]: ...

    def delete_aliases_of(self, model_id: int, version: int) -> None: ...


class RegistryRepository(ProjectRepository, ModelRepository, VersionRepository,
                         AliasRepository, Protocol):
    """Projects, models, versions, tags and aliases (``tx.registry``)."""


class ExperimentRepository(Protocol):
    def experiment(self, experiment_id: int, *, lock: bool = False) -> ExperimentRecord | None: ...

    def experiment_by_name(self, name: str, *,
                           lock: bool = False) -> ExperimentRecord | None: ...

    def ensure_default(self, now: int) -> None:
        """Create experiment 0 ("Default") if it does not exist."""
        ...

    def insert_experiment(self, name: str, artifact_location: str, now: int) -> int: ...

    def touch_experiment(self, experiment_id: int, now: int) -> None: ...

    def rename_experiment(self, experiment_id: int, name: str, now: int) -> None: ...

    def set_experiment_lifecycle(self, experiment_id: int, stage: str,
                                 deleted_at: int | None, now: int) -> None: ...

    def set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None: ...

    def delete_experiment_tag(self, experiment_id: int, key: str) -> bool: ...

    def experiment_entity(self, experiment: ExperimentRecord) -> Experiment: ...

    def search_experiments(self, node: Node | None, order: list[OrderKey], offset: int,
                           limit: int, deleted: bool | None) -> list[Experiment]: ...


class RunRepository(Protocol):
    def insert_run(self, *, run_uuid: str, experiment_id: int, name: str, status: str,
                   start_time: int, user_id: str, parent_run_uuid: str | None) -> int: ...

    def run(self, run_uuid: str, *, lock: bool = False) -> RunRecord | None: ...

    def update_run(self, run_id: int, *, status: str | None = None,
                   end_time: int | None = None, name: str | None = None) -> None: ...

    def set_run_lifecycle(self, run_id: int, stage: str, deleted_at: int | None) -> None: ...

    def run_entity(self, run: RunRecord) -> Run: ...

    def run_entities(self, runs: list[RunRecord]) -> list[Run]: ...

    def search_runs(self, experiment_ids: list[int], node: Node | None, order: list[OrderKey],
                    offset: int, limit: int, deleted: bool | None) -> list[Run]: ...

    def child_runs(self, run_uuid: str) -> list[RunRecord]: ...

    def params_of(self, run_id: int, keys: Iterable[str]) -> dict[str, str]: ...

    def insert_params(self, run_id: int, items: dict[str, str]) -> None: ...

    def set_run_tags(self, run_id: int, items: dict[str, str]) -> None: ...

    def delete_run_tag(self, run_id: int, key: str) -> bool: ...

    def put_artifacts(self, run_id: int, files: list[FileEntry]) -> None: ...

    def artifact(self, run_id: int, path: str) -> FileEntry | None: ...

    def artifacts(self, run_id: int, prefix: str = "") -> list[FileEntry]: ...

    def add_input(self, run_id: int, dataset_version_id: int, context: str, now: int) -> None: ...

    def inputs_of(self, run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Each run's inputs in the shape of :attr:`Run.inputs`."""
        ...


class MetricRepository(Protocol):
    def insert_metrics(self, run_id: int, items: list[Metric]) -> None: ...

    def metric_history(self, run_id: int, key: str, offset: int, limit: int) -> list[Metric]: ...

    def metric_keys(self, run_id: int) -> list[str]: ...


class TrackingRepository(ExperimentRepository, RunRepository, MetricRepository, Protocol):
    """Experiments, runs, params, metrics, run artifacts and inputs (``tx.tracking``)."""

    def referenced_digests(self) -> set[str]: ...


class DatasetRepository(Protocol):
    def dataset(self, name: str) -> DatasetRecord | None: ...

    def insert_dataset(self, name: str, now: int, actor: str) -> int:
        """The new dataset's id, or the id of the one created concurrently."""
        ...

    def next_version(self, dataset_id: int) -> int: ...

    def version_by_digest(self, dataset_id: int, digest: str) -> DatasetVersionRecord | None: ...

    def insert_version(self, dataset_id: int, number: int, *, digest: str, source: str,
                       source_type: str, description: str, profile: dict[str, Any] | None,
                       tags: dict[str, str], files: list[FileEntry], now: int,
                       actor: str) -> int: ...

    def version(self, dataset_id: int, number: int) -> DatasetVersionRecord | None: ...

    def latest_version(self, dataset_id: int) -> DatasetVersionRecord | None: ...

    def version_by_id(self, version_id: int) -> DatasetVersionRecord | None: ...

    def files(self, version_id: int) -> list[FileEntry]: ...

    def version_entity(self, version: DatasetVersionRecord, *,
                       with_files: bool = False) -> DatasetVersion: ...

    def versions_of(self, dataset_id: int) -> list[DatasetVersion]: ...

    def dataset_entity(self, dataset: DatasetRecord) -> Dataset: ...

    def list_datasets(self, name_like: str | None, offset: int, limit: int) -> list[Dataset]: ...


class LineageRepository(Protocol):
    def insert_deployment(self, dep_id: str, version_id: int, endpoint: str, environment: str,
                          now: int, actor: str) -> None: ...

    def end_deployment(self, dep_id: str, now: int) -> None: ...

    def deployment(self, dep_id: str) -> tuple[Deployment, int] | None:
        """The deployment and the id of its version."""
        ...

    def list_deployments(self, *, model_id: int | None = None, version_id: int | None = None,
                         active_only: bool = True, limit: int = 10_000) -> list[Deployment]: ...

    def version_parents(self, version_id: int) -> list[tuple[int, str]]: ...

    def version_children(self, version_id: int) -> list[tuple[int, str]]: ...

    def versions_of_run(self, run_uuid: str) -> list[int]: ...

    def inputs_of_run(self, run_id: int) -> list[tuple[int, str]]: ...

    def runs_of_dataset_version(self, dataset_version_id: int) -> list[tuple[str, str]]: ...


class LoggedModelRepository(Protocol):
    def insert(self, *, model_id: str, experiment_id: str, name: str,
               source_run_id: str | None, model_type: str, params: dict[str, str],
               tags: dict[str, str], now: int, actor: str) -> int: ...

    def get(self, model_id: str, *, lock: bool = False) -> LoggedModelRecord | None: ...

    def touch(self, lid: int, now: int) -> None:
        """Mark updated; takes the row lock that orders writers on one logged model."""
        ...

    def set_status(self, lid: int, status: str, now: int) -> None: ...

    def mark_deleted(self, lid: int, now: int) -> None: ...

    def entity(self, model: LoggedModelRecord) -> LoggedModel: ...

    def set_tag(self, lid: int, key: str, value: str) -> None: ...

    def delete_tag(self, lid: int, key: str) -> bool: ...

    def put_files(self, lid: int, files: list[FileEntry]) -> None: ...

    def files(self, lid: int, prefix: str = "") -> list[FileEntry]: ...

    def search(self, experiment_ids: list[str], node: Node | None, order: list[OrderKey],
               offset: int, limit: int) -> list[LoggedModel]: ...

    def add_output(self, run_id: str, model_id: str, step: int) -> None: ...

    def outputs(self, run_id: str) -> list[tuple[str, int]]: ...

    def referenced_digests(self) -> set[str]: ...


class EventRepository(Protocol):
    def append(self, event: NewEvent) -> None: ...

    def list(self, *, entity_type: str | None = None, entity_id: str | None = None,
             type_prefix: str | None = None, after_id: int | None = None,
             offset: int = 0, limit: int = 100, newest_first: bool = False,
             model_id: int | None = None) -> list[Event]:
        """Oldest first unless ``newest_first``; ``model_id`` keeps the events of one
        model (and its versions, aliases and deployments) whatever it was named."""
        ...


class Transaction(Protocol):
    """One transaction; a repository per aggregate."""

    @property
    def registry(self) -> RegistryRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def tracking(self) -> TrackingRepository: ...

    @property
    def datasets(self) -> DatasetRepository: ...

    @property
    def lineage(self) -> LineageRepository: ...

    @property
    def logged_models(self) -> LoggedModelRepository: ...

    def referenced_digests(self) -> set[str]:
        """Every blob digest some manifest points at (for garbage collection)."""
        ...


class MetadataStore(Protocol):
    dialect: str

    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(self) -> AbstractContextManager[Transaction]: ...

    def dispose(self) -> None: ...


class BlobWriter(Protocol):
    """An upload in progress: bytes go to a temporary file, become visible on commit.
    ``digest`` is the expected sha256 given to ``BlobStore.writer`` or, when that was
    None, the one computed (set by ``commit``)."""

    digest: str | None

    def write(self, chunk: bytes) -> None: ...

    def commit(self, expected_size: int | None = None) -> int: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    def has(self, digest: str) -> bool: ...

    def missing(self, digests: Iterable[str]) -> list[str]: ...

    def size(self, digest: str) -> int: ...

    def writer(self, digest: str | None, max_size: int) -> BlobWriter: ...

    def put_file(self, path: str, digest: str) -> int: ...

    def open(self, digest: str) -> BinaryIO: ...

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = 1 << 20) -> Iterator[bytes]: ...

    def local_path(self, digest: str) -> str | None: ...

    def delete(self, digest: str) -> None: ...

    def iter_blobs(self) -> Iterator[tuple[str, float]]: ...

    def sweep_temp(self, older_than: float) -> int: ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
