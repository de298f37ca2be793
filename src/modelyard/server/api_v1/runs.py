"""Runs: lifecycle, params, metrics (single and batch), tags, history, search, inputs
and run artifacts (a manifest over the blob store)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.validation import INT64_MAX
from modelyard.errors import InvalidParameter
from modelyard.server.api_v1.common import Count, Int64
from modelyard.server.api_v1.tracking_common import NanJSONResponse, deleted_flag, page_response
from modelyard.server.deps import json_body, principal, services
from modelyard.server.streaming import blob_response
from modelyard.services import Services

router = APIRouter(tags=["runs"])


class RunCreate(BaseModel):
    experiment_id: str = "0"
    run_name: str | None = None
    start_time: Int64 | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    parent_run_id: str | None = None
    user_id: str | None = None


class RunPatch(BaseModel):
    status: str | None = None
    end_time: Int64 | None = None
    run_name: str | None = None


class RunSearch(BaseModel):
    experiment_ids: list[str]
    filter: str | None = None
    order_by: list[str] | None = None
    max_results: Int64 | None = None
    page_token: str | None = None
    deleted: str | bool | None = False


class ParamIn(BaseModel):
    key: str
    value: str | int | float | bool


class MetricIn(BaseModel):
    key: str
    value: float
    step: Int64 = 0
    timestamp: Int64 | None = None


class TagValue(BaseModel):
    value: str


class FileIn(BaseModel):
    path: str
    size: Count
    sha256: str


class ArtifactsIn(BaseModel):
    files: list[FileIn]
    prefix: str = ""


def _run(s: Services, who: Principal, run_id: str) -> NanJSONResponse:
    return NanJSONResponse({"run": s.tracking.get_run(who, run_id).to_dict()})


@router.post("/runs", status_code=201)
def create_run(body: RunCreate, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> Any:
    run = s.tracking.create_run(who, body.experiment_id, body.run_name, body.start_time,
                                body.tags, body.parent_run_id, user_id=body.user_id)
    return NanJSONResponse({"run": run.to_dict()}, status_code=201)


@router.post("/runs/search")
def search_runs(body: RunSearch, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> Any:
    page = s.tracking.search_runs(who, body.experiment_ids, body.filter, body.order_by,
                                  body.max_results, body.page_token,
                                  deleted=deleted_flag(body.deleted))
    return page_response(page, "runs")


@router.get("/runs/{run_id}")
def get_run(run_id: str, s: Services = Depends(services),
            who: Principal = Depends(principal)) -> Any:
    return _run(s, who, run_id)


@router.patch("/runs/{run_id}")
def update_run(run_id: str, body: RunPatch, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> Any:
    run = s.tracking.update_run(who, run_id, body.status, body.end_time, body.run_name)
    return NanJSONResponse({"run": run.to_dict()})


@router.delete("/runs/{run_id}")
def delete_run(run_id: str, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.delete_run(who, run_id)
    return {}


@router.post("/runs/{run_id}/restore")
def restore_run(run_id: str, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> Any:
    return NanJSONResponse({"run": s.tracking.restore_run(who, run_id).to_dict()})


@router.post("/runs/{run_id}/params")
def log_param(run_id: str, body: ParamIn, s: Services = Depends(services),
              who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.log_param(who, run_id, body.key, body.value)
    return {}


@router.post("/runs/{run_id}/metrics")
def log_metric(run_id: str, body: MetricIn, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.log_metric(who, run_id, body.key, body.value, body.step, body.timestamp)
    return {}


@router.post("/runs/{run_id}/batch")
def log_batch(run_id: str, body: dict[str, Any] = Depends(json_body),
              s: Services = Depends(services),
              who: Principal = Depends(principal)) -> dict[str, Any]:
    """``{"metrics": [{key, value, step, timestamp}], "params": [{key, value}],
    "tags": [{key, value}]}``: one transaction."""
    for field in ("metrics", "params", "tags"):
        if not isinstance(body.get(field, []), (list, dict)):
            raise InvalidParameter(f"{field} must be a list")
    s.tracking.log_batch(who, run_id, body.get("metrics") or [], body.get("params") or [],
                         body.get("tags") or [])
    return {}


@router.put("/runs/{run_id}/tags/{key:path}")
def set_run_tag(run_id: str, key: str, body: TagValue, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.set_run_tag(who, run_id, key, body.value)
    return {}


@router.delete("/runs/{run_id}/tags/{key:path}")
def delete_run_tag(run_id: str, key: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.delete_run_tag(who, run_id, key)
    return {}


@router.get("/runs/{run_id}/metrics/{key:path}/history")
def metric_history(run_id: str, key: str, max_results: int | None = Query(None, ge=1, le=INT64_MAX),
                   page_token: str | None = None, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> Any:
    page = s.tracking.get_metric_history(who, run_id, key, max_results, page_token)
    body: dict[str, Any] = {"metrics": [  # plain dicts: asdict() is slow for 100,000 points
        {"key": m.key, "value": m.value, "step": m.step, "timestamp": m.timestamp}
        for m in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return NanJSONResponse(body)


@router.post("/runs/{run_id}/inputs")
def log_inputs(run_id: str, body: dict[str, Any] = Depends(json_body),
               s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    datasets = body.get("datasets")
    if not isinstance(datasets, list):
        raise InvalidParameter("datasets must be a list")
    return {"inputs": s.tracking.log_inputs(who, run_id, datasets)}


@router.post("/runs/{run_id}/artifacts")
def add_artifacts(run_id: str, body: ArtifactsIn, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    files = [FileEntry(path=f.path, size=f.size, sha256=f.sha256) for f in body.files]
    added = s.tracking.add_run_artifacts(who, run_id, files, body.prefix)
    return {"files": [f.to_dict() for f in added]}


@router.get("/runs/{run_id}/artifacts")
def list_artifacts(run_id: str, path: str = "", s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"artifacts": s.tracking.list_run_artifacts(who, run_id, path)}


@router.get("/runs/{run_id}/artifact-files")
def artifact_files(run_id: str, prefix: str = "", s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"files": [f.to_dict() for f in s.tracking.run_artifact_files(who, run_id, prefix)]}


@router.get("/runs/{run_id}/artifacts/{path:path}")
def download_artifact(run_id: str, path: str, request: Request,
                      s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> Response:
    entry = s.tracking.run_artifact_entry(who, run_id, path)
    return blob_response(s.blob_service.acting(who), entry.sha256, request,
                         filename=path.rsplit("/", 1)[-1])
