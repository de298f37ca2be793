"""Experiments: create, read, search, rename, tag, delete/restore."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from modelyard.domain.entities import Principal
from modelyard.server.api_v1.tracking_common import deleted_flag, page_response
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["experiments"])


class ExperimentCreate(BaseModel):
    name: str
    tags: dict[str, str] = Field(default_factory=dict)
    artifact_location: str | None = None


class Rename(BaseModel):
    new_name: str


class TagValue(BaseModel):
    value: str


@router.post("/experiments", status_code=201)
def create_experiment(body: ExperimentCreate, s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> dict[str, Any]:
    e = s.tracking.create_experiment(who, body.name, body.tags, body.artifact_location)
    return {"experiment": e.to_dict()}


@router.get("/experiments")
def search_experiments(filter: str | None = None, order_by: list[str] | None = Query(None),
                       max_results: int = Query(1000, ge=1, le=50_000),
                       page_token: str | None = None,
                       deleted: str = Query("false", description="false, true or all"),
                       s: Services = Depends(services),
                       who: Principal = Depends(principal)) -> Any:
    page = s.tracking.search_experiments(who, filter, order_by, max_results, page_token,
                                         deleted=deleted_flag(deleted))
    return page_response(page, "experiments")


@router.get("/experiments/by-name/{name}")
def get_experiment_by_name(name: str, s: Services = Depends(services),
                           who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"experiment": s.tracking.get_experiment_by_name(who, name).to_dict()}


@router.get("/experiments/{experiment_id}")
def get_experiment(experiment_id: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"experiment": s.tracking.get_experiment(who, experiment_id).to_dict()}


@router.post("/experiments/{experiment_id}/rename")
def rename_experiment(experiment_id: str, body: Rename, s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"experiment": s.tracking.rename_experiment(who, experiment_id,
                                                       body.new_name).to_dict()}


@router.delete("/experiments/{experiment_id}")
def delete_experiment(experiment_id: str, s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.delete_experiment(who, experiment_id)
    return {}


@router.post("/experiments/{experiment_id}/restore")
def restore_experiment(experiment_id: str, s: Services = Depends(services),
                       who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"experiment": s.tracking.restore_experiment(who, experiment_id).to_dict()}


@router.put("/experiments/{experiment_id}/tags/{key:path}")
def set_experiment_tag(experiment_id: str, key: str, body: TagValue,
                       s: Services = Depends(services),
                       who: Principal = Depends(principal)) -> dict[str, Any]:
    s.tracking.set_experiment_tag(who, experiment_id, key, body.value)
    return {}
