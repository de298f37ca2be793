"""Tracking, datasets, deployments and lineage over REST (``/api/v1``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from modelyard.client.contract import ClientOperations
from modelyard.client.decode import decode
from modelyard.domain.entities import (
    Dataset,
    DatasetVersion,
    Deployment,
    Experiment,
    FileEntry,
    LineageGraph,
    Metric,
    Page,
    Run,
)


def _nan_json(body: Any) -> dict[str, Any]:
    """Request kwargs for a JSON body that may hold NaN/Infinity (httpx refuses them)."""
    return {"content": json.dumps(body, allow_nan=True).encode(),
            "headers": {"Content-Type": "application/json"}}


def _q(segment: object) -> str:
    return quote(str(segment), safe="")


def _deleted(value: bool | None) -> str:
    return "all" if value is None else ("true" if value else "false")


def _metric(m: Any) -> dict[str, Any]:
    if isinstance(m, dict):
        return m
    return {"key": m.key, "value": m.value, "step": m.step, "timestamp": m.timestamp}


def _pairs(items: Any) -> list[Any]:
    if isinstance(items, dict):
        return [{"key": k, "value": v} for k, v in items.items()]
    out = []
    for item in items or ():
        if isinstance(item, (tuple, list)) and len(item) == 2:
            out.append({"key": item[0], "value": item[1]})
        elif hasattr(item, "key") and not isinstance(item, dict):
            out.append({"key": item.key, "value": item.value})
        else:
            out.append(item)
    return out


class HttpTrackingMixin(ClientOperations):
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _get(self, path: str, **params: Any) -> Any:
        raise NotImplementedError

    def _stream(self, path: str, label: str | None = None) -> Iterator[bytes]:
        raise NotImplementedError

    # -- experiments ------------------------------------------------------------------
    def create_experiment(self, name: str, tags: dict[str, str] | None = None,
                          artifact_location: str | None = None) -> Experiment:
        body = {"name": name, "tags": tags or {}, "artifact_location": artifact_location}
        return decode(Experiment, self._request("POST", "/experiments", json=body)["experiment"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        return decode(Experiment, self._get(f"/experiments/{_q(experiment_id)}")["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment:
        return decode(Experiment, self._get(f"/experiments/by-name/{_q(name)}")["experiment"])

    def search_experiments(self, filter: str | None = None, order_by: list[str] | None = None,
                           max_results: int = 1000, page_token: str | None = None,
                           deleted: bool | None = False) -> Page[Experiment]:
        data = self._get("/experiments", filter=filter, order_by=order_by,
                         max_results=max_results, page_token=page_token,
                         deleted=_deleted(deleted))
        return Page([decode(Experiment, e) for e in data["experiments"]],
                    data.get("next_page_token"))

    def rename_experiment(self, experiment_id: str, new_name: str) -> Experiment:
        data = self._request("POST", f"/experiments/{_q(experiment_id)}/rename",
                             json={"new_name": new_name})
        return decode(Experiment, data["experiment"])

    def delete_experiment(self, experiment_id: str) -> None:
        self._request("DELETE", f"/experiments/{_q(experiment_id)}")

    def restore_experiment(self, experiment_id: str) -> Experiment:
        data = self._request("POST", f"/experiments/{_q(experiment_id)}/restore", json={})
        return decode(Experiment, data["experiment"])

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._request("PUT", f"/experiments/{_q(experiment_id)}/tags/{_q(key)}",
                      json={"value": value})

    # -- runs -------------------------------------------------------------------------
    def create_run(self, experiment_id: str = "0", run_name: str | None = None,
                   start_time: int | None = None, tags: dict[str, str] | None = None,
                   parent_run_id: str | None = None) -> Run:
        body = {"experiment_id": str(experiment_id), "run_name": run_name,
                "start_time": start_time, "tags": tags or {}, "parent_run_id": parent_run_id}
        return decode(Run, self._request("POST", "/runs", json=body)["run"])

    def get_run(self, run_id: str) -> Run:
        return decode(Run, self._get(f"/runs/{_q(run_id)}")["run"])

    def update_run(self, run_id: str, status: str | None = None, end_time: int | None = None,
                   run_name: str | None = None) -> Run:
        body = {"status": status, "end_time": end_time, "run_name": run_name}
        return decode(Run, self._request("PATCH", f"/runs/{_q(run_id)}", json=body)["run"])

    def delete_run(self, run_id: str) -> None:
        self._request("DELETE", f"/runs/{_q(run_id)}")

    def restore_run(self, run_id: str) -> Run:
        return decode(Run, self._request("POST", f"/runs/{_q(run_id)}/restore", json={})["run"])

    def search_runs(self, experiment_ids: list[str] | str, filter: str | None = None,
                    order_by: list[str] | None = None, max_results: int = 1000,
                    page_token: str | None = None, deleted: bool | None = False) -> Page[Run]:
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        body = {"experiment_ids": [str(e) for e in experiment_ids], "filter": filter,
                "order_by": order_by, "max_results": max_results, "page_token": page_token,
                "deleted": _deleted(deleted)}
        data = self._request("POST", "/runs/search", json=body)
        return Page([decode(Run, r) for r in data["runs"]], data.get("next_page_token"))

    def log_param(self, run_id: str, key: str, value: Any) -> None:
        self._request("POST", f"/runs/{_q(run_id)}/params", json={"key": key, "value": value})

    def log_metric(self, run_id: str, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None:
        self._request("POST", f"/runs/{_q(run_id)}/metrics", **_nan_json(
            {"key": key, "value": value, "step": step, "timestamp": timestamp}))

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        """One request (and one transaction) whatever the number of items."""
        body = {"metrics": [_metric(m) for m in metrics], "params": _pairs(params),
                "tags": _pairs(tags)}
        self._request("POST", f"/runs/{_q(run_id)}/batch", **_nan_json(body))

    def set_run_tag(self, run_id: str, key: str, value: str) -> None:
        self._request("PUT", f"/runs/{_q(run_id)}/tags/{_q(key)}", json={"value": value})

    def delete_run_tag(self, run_id: str, key: str) -> None:
        self._request("DELETE", f"/runs/{_q(run_id)}/tags/{_q(key)}")

    def get_metric_history(self, run_id: str, key: str, max_results: int | None = None,
                           page_token: str | None = None) -> Page[Metric]:
        data = self._get(f"/runs/{_q(run_id)}/metrics/{_q(key)}/history",
                         max_results=max_results, page_token=page_token)
        return Page([Metric(m["key"], m["value"], m["step"], m["timestamp"])
                     for m in data["metrics"]], data.get("next_page_token"))

    def log_inputs(self, run_id: str, datasets: list[Any]) -> list[dict[str, Any]]:
        items = [d.to_dict() | {"version": d.version} if isinstance(d, DatasetVersion) else d
                 for d in datasets]
        for item in items:
            if isinstance(item, dict):
                item.pop("files", None)
                if "version" in item:
                    item.pop("digest", None)
        inputs: list[dict[str, Any]] = self._request(
            "POST", f"/runs/{_q(run_id)}/inputs", json={"datasets": items})["inputs"]
        return inputs

    # -- run artifacts ----------------------------------------------------------------
    def add_run_artifacts(self, run_id: str, files: list[FileEntry],
                          prefix: str = "") -> list[FileEntry]:
        data = self._request("POST", f"/runs/{_q(run_id)}/artifacts",
                             json={"files": [f.to_dict() for f in files], "prefix": prefix})
        return [decode(FileEntry, f) for f in data["files"]]

    def list_run_artifacts(self, run_id: str, path: str = "") -> list[dict[str, Any]]:
        listing: list[dict[str, Any]] = self._request(
            "GET", f"/runs/{_q(run_id)}/artifacts", params={"path": path} if path else {}
        )["artifacts"]
        return listing

    def run_artifact_files(self, run_id: str, prefix: str = "") -> list[FileEntry]:
        data = self._get(f"/runs/{_q(run_id)}/artifact-files", prefix=prefix or None)
        return [decode(FileEntry, f) for f in data["files"]]

    def iter_run_artifact(self, run_id: str, path: str) -> Iterator[bytes]:
        return self._stream(f"/runs/{_q(run_id)}/artifacts/" + quote(path, safe="/"),
                            f"run {run_id}: artifact {path!r}")

    # -- datasets ---------------------------------------------------------------------
    def create_dataset_version(self, name: str, files: list[FileEntry],
                               **fields: Any) -> DatasetVersion:
        body = {"files": [f.to_dict() for f in files], **fields}
        data = self._request("POST", f"/datasets/{_q(name)}/versions", json=body)
        return decode(DatasetVersion, data["dataset_version"])

    def get_dataset_version(self, name: str, version: int | str = "latest",
                            files: bool = True) -> DatasetVersion:
        data = self._get(f"/datasets/{_q(name)}/versions/{_q(version)}",
                         files="true" if files else "false")
        return decode(DatasetVersion, data["dataset_version"])

    def get_dataset(self, name: str) -> Dataset:
        return decode(Dataset, self._get(f"/datasets/{_q(name)}")["dataset"])

    def list_datasets(self, name_like: str | None = None, max_results: int = 100,
                      page_token: str | None = None) -> Page[Dataset]:
        data = self._get("/datasets", name_like=name_like, max_results=max_results,
                         page_token=page_token)
        return Page([decode(Dataset, d) for d in data["datasets"]], data.get("next_page_token"))

    def list_dataset_versions(self, name: str) -> list[DatasetVersion]:
        data = self._get(f"/datasets/{_q(name)}/versions")
        return [decode(DatasetVersion, v) for v in data["dataset_versions"]]

    # -- deployments and lineage ------------------------------------------------------
    def record_deployment(self, model: str, version: int | str, endpoint: str,
                          environment: str = "") -> Deployment:
        body = {"model": model, "version": version, "endpoint": endpoint,
                "environment": environment}
        return decode(Deployment, self._request("POST", "/deployments", json=body)["deployment"])

    def end_deployment(self, deployment_id: str) -> Deployment:
        data = self._request("DELETE", f"/deployments/{_q(deployment_id)}")
        return decode(Deployment, data["deployment"])

    def get_deployment(self, deployment_id: str) -> Deployment:
        return decode(Deployment, self._get(f"/deployments/{_q(deployment_id)}")["deployment"])

    def resolve_id(self, kind: str, text: str) -> str:
        return str(self._get(f"/ids/{_q(kind)}/{_q(text)}")["id"])

    def heartbeat_deployment(self, deployment_id: str) -> Deployment:
        data = self._request("POST", f"/deployments/{_q(deployment_id)}/heartbeat", json={})
        return decode(Deployment, data["deployment"])

    def list_deployments(self, model: str | None = None, version: int | str | None = None,
                         active_only: bool = True) -> list[Deployment]:
        data = self._get("/deployments", model=model, version=version,
                         active_only="true" if active_only else "false")
        return [decode(Deployment, d) for d in data["deployments"]]

    def lineage(self, entity: str, direction: str = "upstream", depth: int = 3) -> LineageGraph:
        data = self._get("/lineage", entity=entity, direction=direction, depth=depth)
        return decode(LineageGraph, data)
