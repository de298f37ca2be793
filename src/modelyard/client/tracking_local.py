"""Tracking, datasets, deployments and lineage for the in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from modelyard.client.contract import ClientOperations
from modelyard.client.verify import verified
from modelyard.domain.entities import (
    Dataset,
    DatasetVersion,
    Deployment,
    Experiment,
    FileEntry,
    LineageGraph,
    Metric,
    Page,
    Principal,
    Run,
)
from modelyard.services import Services


class LocalTrackingMixin(ClientOperations):
    services: Services
    who: Principal

    # -- experiments ------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None,
                          artifact_location: str | None = None) -> Experiment:
        return self.services.tracking.create_experiment(self.who, name, tags, artifact_location)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.services.tracking.get_experiment(self.who, experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment:
        return self.services.tracking.get_experiment_by_name(self.who, name)

    def search_experiments(self, filter: str | None = None, order_by: list[str] | None = None,
                           max_results: int = 1000, page_token: str | None = None,
                           deleted: bool | None = False) -> Page[Experiment]:
        return self.services.tracking.search_experiments(
            self.who, filter, order_by, max_results, page_token, deleted=deleted)

    def rename_experiment(self, experiment_id: str, new_name: str) -> Experiment:
        return self.services.tracking.rename_experiment(self.who, experiment_id, new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.services.tracking.delete_experiment(self.who, experiment_id)

    def restore_experiment(self, experiment_id: str) -> Experiment:
        return self.services.tracking.restore_experiment(self.who, experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self.services.tracking.set_experiment_tag(self.who, experiment_id, key, value)

    # -- runs -------------------------------------------------------------------------
    def create_run(self, experiment_id: str = "0", run_name: str | None = None,
                   start_time: int | None = None, tags: dict[str, str] | None = None,
                   parent_run_id: str | None = None) -> Run:
        return self.services.tracking.create_run(self.who, experiment_id, run_name, start_time,
                                                 tags, parent_run_id)

    def get_run(self, run_id: str) -> Run:
        return self.services.tracking.get_run(self.who, run_id)

    def update_run(self, run_id: str, status: str | None = None, end_time: int | None = None,
                   run_name: str | None = None) -> Run:
        return self.services.tracking.update_run(self.who, run_id, status, end_time, run_name)

    def delete_run(self, run_id: str) -> None:
        self.services.tracking.delete_run(self.who, run_id)

    def restore_run(self, run_id: str) -> Run:
        return self.services.tracking.restore_run(self.who, run_id)

    def search_runs(self, experiment_ids: list[str] | str, filter: str | None = None,
                    order_by: list[str] | None = None, max_results: int = 1000,
                    page_token: str | None = None, deleted: bool | None = False) -> Page[Run]:
        return self.services.tracking.search_runs(self.who, experiment_ids, filter, order_by,
                                                  max_results, page_token, deleted=deleted)

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self.services.tracking.log_param(self.who, run_id, key, value)

    def log_metric(self, run_id: str, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None:
        self.services.tracking.log_metric(self.who, run_id, key, value, step, timestamp)

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        self.services.tracking.log_batch(self.who, run_id, metrics, params, tags)

    def set_run_tag(self, run_id: str, key: str, value: str) -> None:
        self.services.tracking.set_run_tag(self.who, run_id, key, value)

    def delete_run_tag(self, run_id: str, key: str) -> None:
        self.services.tracking.delete_run_tag(self.who, run_id, key)

    def get_metric_history(self, run_id: str, key: str, max_results: int | None = None,
                           page_token: str | None = None) -> Page[Metric]:
        return self.services.tracking.get_metric_history(self.who, run_id, key, max_results,
                                                         page_token)

    def log_inputs(self, run_id: str, datasets: list[Any]) -> list[dict[str, Any]]:
        return self.services.tracking.log_inputs(self.who, run_id, datasets)

    # -- run artifacts ----------------------------------------------------------------
    def add_run_artifacts(self, run_id: str, files: list[FileEntry],
                          prefix: str = "") -> list[FileEntry]:
        return self.services.tracking.add_run_artifacts(self.who, run_id, files, prefix)

    def list_run_artifacts(self, run_id: str, path: str = "") -> list[dict[str, Any]]:
        return self.services.tracking.list_run_artifacts(self.who, run_id, path)

    def run_artifact_files(self, run_id: str, prefix: str = "") -> list[FileEntry]:
        return self.services.tracking.run_artifact_files(self.who, run_id, prefix)

    def iter_run_artifact(self, run_id: str, path: str) -> Iterator[bytes]:
        entry = self.services.tracking.run_artifact_entry(self.who, run_id, path)
        return verified(self.services.blob_service.read_chunks(self.who, entry.sha256),
                        entry.sha256, f"run {run_id}: artifact {path!r}")

    # -- datasets ---------------------------------------------------------------------
    def create_dataset_version(self, name: str, files: list[FileEntry],
                               **fields: Any) -> DatasetVersion:
        return self.services.datasets.create_dataset_version(self.who, name, files, **fields)

    def get_dataset_version(self, name: str, version: int | str = "latest",
                            files: bool = True) -> DatasetVersion:
        return self.services.datasets.get_dataset_version(self.who, name, version,
                                                          with_files=files)

    def get_dataset(self, name: str) -> Dataset:
        return self.services.datasets.get_dataset(self.who, name)

    def list_datasets(self, name_like: str | None = None, max_results: int = 100,
                      page_token: str | None = None) -> Page[Dataset]:
        return self.services.datasets.list_datasets(self.who, name_like, max_results,
                                                    page_token)

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        return self.services.datasets.list_dataset_versions(self.who, name)

    # -- deployments and lineage ------------------------------------------------------
    def record_deployment(self, model: str, version: int | str, endpoint: str,
                          environment: str = "") -> Deployment:
        return self.services.lineage.record_deployment(self.who, model, version, endpoint,
                                                       environment)

    def end_deployment(self, deployment_id: str) -> Deployment:
        return self.services.lineage.end_deployment(self.who, deployment_id)

    def get_deployment(self, deployment_id: str) -> Deployment:
        return self.services.lineage.get_deployment(self.who, deployment_id)

    def resolve_id(self, kind: str, text: str) -> str:
        return self.services.lineage.resolve_id(self.who, kind, text)

    def heartbeat_deployment(self, deployment_id: str) -> Deployment:
        return self.services.lineage.heartbeat_deployment(self.who, deployment_id)

    def list_deployments(self, model: str | None = None, version: int | str | None = None,
                         active_only: bool = True) -> list[Deployment]:
        return self.services.lineage.list_deployments(self.who, model, version, active_only)

    def lineage(self, entity: str, direction: str = "upstream", depth: int = 3) -> LineageGraph:
        return self.services.lineage.lineage(self.who, entity, direction, depth)
