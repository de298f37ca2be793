"""The operations every transport implements, declared once with their types.

:class:`ClientOperations` is the primitive half of the SDK: each method is one call on
the registry (one domain call in process, one request over REST).  The behaviour
written over these primitives (register a folder, download a version, log a folder as
run artifacts, compare runs, ...) is in ``base.py`` and ``tracking_base.py``; together
they are :class:`modelyard.client.BaseClient`, the type callers hold.

``LocalClient`` and ``HttpClient`` implement every method here with the same
signature; ``tests/sdk/test_contract.py`` fails when one of them adds, drops or
changes an operation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from modelyard.client.access_contract import AccessOperations
from modelyard.client.governance_contract import GovernanceOperations
from modelyard.client.webhooks_contract import WebhookOperations
from modelyard.domain.entities import (
    Dataset,
    DatasetVersion,
    Deployment,
    Event,
    Experiment,
    FileEntry,
    LineageGraph,
    Metric,
    ModelVersion,
    Page,
    Project,
    RegisteredModel,
    Run,
)
from modelyard.domain.refs import VersionRef

Progress = Callable[[int], None]


class ClientOperations(AccessOperations, GovernanceOperations, WebhookOperations, ABC):
    uri: str

    @abstractmethod
    def close(self) -> None:
        """Release connections; the client is unusable afterwards."""

    # -- blobs ------------------------------------------------------------------------
    @abstractmethod
    def missing_blobs(self, digests: list[str]) -> list[str]: ...

    @abstractmethod
    def upload_blob(self, entry: FileEntry, source: Path,
                    progress: Progress | None = None) -> None: ...

    @abstractmethod
    def iter_blob(self, digest: str) -> Iterator[bytes]: ...

    @abstractmethod
    def iter_blobs(self, digests: list[str]) -> Iterator[tuple[str, int, Iterator[bytes]]]:
        """Many blobs in one call: (digest, size, chunks) for each digest once, in the
        order given; consume each ``chunks`` before taking the next.  Every digest must
        be readable (through a manifest the caller may read), at most
        ``domain.blobs.MAX_BATCH_BLOBS`` blobs and ``MAX_BATCH_BYTES`` bytes a call."""

    @abstractmethod
    def iter_file(self, ref: str | VersionRef, path: str) -> Iterator[bytes]: ...

    # -- models -----------------------------------------------------------------------
    @abstractmethod
    def create_model(self, name: str, description: str = "",
                     tags: dict[str, str] | None = None,
                     project: str = "default") -> RegisteredModel: ...

    @abstractmethod
    def get_model(self, name: str, deleted: bool = False) -> RegisteredModel: ...

    @abstractmethod
    def search_models(self, filter: str | None = None, order_by: list[str] | None = None,
                      max_results: int = 100, page_token: str | None = None,
                      deleted: bool = False, kind: str = "model") -> Page[RegisteredModel]:
        """``kind``: "model" (MLflow prompts left out), "prompt" or "all"."""
        ...

    @abstractmethod
    def update_model(self, name: str, description: str) -> RegisteredModel: ...

    @abstractmethod
    def rename_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abstractmethod
    def set_model_tag(self, name: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_model_tag(self, name: str, key: str) -> None: ...

    @abstractmethod
    def delete_model(self, name: str) -> None: ...

    @abstractmethod
    def restore_model(self, name: str) -> RegisteredModel: ...

    # -- versions ---------------------------------------------------------------------
    @abstractmethod
    def create_version(self, name: str, files: list[FileEntry],
                       **fields: Any) -> ModelVersion: ...

    @abstractmethod
    def register_run_model(self, name: str, run_id: str, artifact_path: str, *,
                           create_model: bool = True, **fields: Any) -> ModelVersion:
        """Register the run artifacts under ``artifact_path`` as the next version of
        ``name``: the manifest points at the same blobs, nothing is copied."""

    @abstractmethod
    def get_version(self, name: str, version: int | str,
                    files: bool = True) -> ModelVersion: ...

    @abstractmethod
    def search_versions(self, filter: str | None = None, order_by: list[str] | None = None,
                        max_results: int = 100, page_token: str | None = None,
                        deleted: bool = False) -> Page[ModelVersion]: ...

    @abstractmethod
    def update_version(self, name: str, version: int | str,
                       description: str) -> ModelVersion: ...

    @abstractmethod
    def set_version_tag(self, name: str, version: int | str, key: str,
                        value: str) -> None: ...

    @abstractmethod
    def delete_version_tag(self, name: str, version: int | str, key: str) -> None: ...

    @abstractmethod
    def delete_version(self, name: str, version: int | str) -> None: ...

    @abstractmethod
    def restore_version(self, name: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def transition_stage(self, name: str, version: int | str, stage: str,
                         archive_existing: bool = False) -> ModelVersion: ...

    @abstractmethod
    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion: ...

    @abstractmethod
    def delete_alias(self, name: str, alias: str) -> None: ...

    # -- events, projects, maintenance ------------------------------------------------
    @abstractmethod
    def list_events(self, *, entity_type: str | None = None, entity_id: str | None = None,
                    model: str | None = None, type: str | None = None,
                    after_id: int | None = None, newest_first: bool = False,
                    max_results: int | None = None,
                    page_token: str | None = None, user: str | None = None,
                    since: int | None = None,
                    types: list[str] | None = None) -> Page[Event]: ...

    @abstractmethod
    def create_project(self, name: str, description: str = "") -> Project: ...

    @abstractmethod
    def list_projects(self) -> list[Project]: ...

    @abstractmethod
    def gc(self, dry_run: bool = False, grace_seconds: int | None = None,
           force: bool = False) -> dict[str, Any]:
        """Collect garbage; a ``grace_seconds`` under an hour needs ``force``."""

    @abstractmethod
    def dvc_objects(self, project: str, oids: list[str]) -> dict[str, tuple[str, int]]:
        """Of DVC object ids (md5), the ones the project's DVC remote holds:
        ``oid -> (sha256, size)``."""

    @abstractmethod
    def fsck(self, sample: int | None = None) -> dict[str, Any]:
        """Re-hash stored blobs (all, or ``sample`` at random) and report the missing
        and corrupt ones with every manifest pointing at them."""

    # -- experiments ------------------------------------------------------------------
    @abstractmethod
    def create_experiment(self, name: str, tags: dict[str, str] | None = None,
                          artifact_location: str | None = None) -> Experiment: ...

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment: ...

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment: ...

    @abstractmethod
    def search_experiments(self, filter: str | None = None,
                           order_by: list[str] | None = None, max_results: int = 1000,
                           page_token: str | None = None,
                           deleted: bool | None = False) -> Page[Experiment]: ...

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> Experiment: ...

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> Experiment: ...

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    # -- runs -------------------------------------------------------------------------
    @abstractmethod
    def create_run(self, experiment_id: str = "0", run_name: str | None = None,
                   start_time: int | None = None, tags: dict[str, str] | None = None,
                   parent_run_id: str | None = None) -> Run: ...

    @abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def update_run(self, run_id: str, status: str | None = None,
                   end_time: int | None = None, run_name: str | None = None) -> Run: ...

    @abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abstractmethod
    def restore_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def search_runs(self, experiment_ids: list[str] | str, filter: str | None = None,
                    order_by: list[str] | None = None, max_results: int = 1000,
                    page_token: str | None = None,
                    deleted: bool | None = False) -> Page[Run]: ...

    @abstractmethod
    def log_param(self, run_id: str, key: str, value: Any) -> None: ...

    @abstractmethod
    def log_metric(self, run_id: str, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None: ...

    @abstractmethod
    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (),
                  tags: Any = ()) -> None:
        """Metrics (``Metric`` or dicts), params and tags (pairs, dicts or objects with
        ``key``/``value``) in one call and one transaction."""

    @abstractmethod
    def set_run_tag(self, run_id: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_run_tag(self, run_id: str, key: str) -> None: ...

    @abstractmethod
    def get_metric_history(self, run_id: str, key: str, max_results: int | None = None,
                           page_token: str | None = None) -> Page[Metric]: ...

    @abstractmethod
    def log_inputs(self, run_id: str, datasets: list[Any]) -> list[dict[str, Any]]: ...

    # -- run artifacts ----------------------------------------------------------------
    @abstractmethod
    def add_run_artifacts(self, run_id: str, files: list[FileEntry],
                          prefix: str = "") -> list[FileEntry]: ...

    @abstractmethod
    def list_run_artifacts(self, run_id: str, path: str = "") -> list[dict[str, Any]]: ...

    @abstractmethod
    def run_artifact_files(self, run_id: str, prefix: str = "") -> list[FileEntry]: ...

    @abstractmethod
    def iter_run_artifact(self, run_id: str, path: str) -> Iterator[bytes]: ...

    # -- datasets ---------------------------------------------------------------------
    @abstractmethod
    def create_dataset_version(self, name: str, files: list[FileEntry],
                               **fields: Any) -> DatasetVersion: ...

    @abstractmethod
    def get_dataset_version(self, name: str, version: int | str = "latest",
                            files: bool = True) -> DatasetVersion: ...

    @abstractmethod
    def get_dataset(self, name: str) -> Dataset: ...

    @abstractmethod
    def list_datasets(self, name_like: str | None = None, max_results: int = 100,
                      page_token: str | None = None) -> Page[Dataset]: ...

    @abstractmethod
    def list_dataset_versions(self, name: str) -> list[DatasetVersion]: ...

    # -- deployments and lineage ------------------------------------------------------
    @abstractmethod
    def record_deployment(self, model: str, version: int | str, endpoint: str,
                          environment: str = "") -> Deployment: ...

    @abstractmethod
    def end_deployment(self, deployment_id: str) -> Deployment: ...

    @abstractmethod
    def heartbeat_deployment(self, deployment_id: str) -> Deployment:
        """The serving process is alive (see ``deployment_timeout_seconds``)."""

    @abstractmethod
    def list_deployments(self, model: str | None = None, version: int | str | None = None,
                         active_only: bool = True) -> list[Deployment]: ...

    @abstractmethod
    def get_deployment(self, deployment_id: str) -> Deployment: ...

    @abstractmethod
    def resolve_id(self, kind: str, text: str) -> str:
        """The whole id of a ``run`` or ``deployment`` given by a unique prefix."""

    @abstractmethod
    def lineage(self, entity: str, direction: str = "upstream",
                depth: int = 3) -> LineageGraph: ...
