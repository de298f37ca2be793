"""Deployments: where a model version is served, since when, until when."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from modelyard.domain.entities import Principal
from modelyard.server.api_v1.common import Int64
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["deployments"])


class DeploymentCreate(BaseModel):
    model: str
    version: Int64 | str
    endpoint: str
    environment: str = ""


@router.post("/deployments", status_code=201)
def record_deployment(body: DeploymentCreate, s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> dict[str, Any]:
    d = s.lineage.record_deployment(who, body.model, body.version, body.endpoint,
                                    body.environment)
    return {"deployment": d.to_dict()}


@router.delete("/deployments/{deployment_id}")
def end_deployment(deployment_id: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"deployment": s.lineage.end_deployment(who, deployment_id).to_dict()}


@router.get("/deployments/{deployment_id}")
def get_deployment(deployment_id: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"deployment": s.lineage.get_deployment(who, deployment_id).to_dict()}


@router.get("/ids/{kind}/{text}")
def resolve_id(kind: str, text: str, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    """The whole id of a run or a deployment given by a unique prefix (as git takes
    commits); an ambiguous prefix is INVALID_PARAMETER_VALUE listing the candidates."""
    return {"id": s.lineage.resolve_id(who, kind, text)}


@router.post("/deployments/{deployment_id}/heartbeat")
def heartbeat_deployment(deployment_id: str, s: Services = Depends(services),
                         who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"deployment": s.lineage.heartbeat_deployment(who, deployment_id).to_dict()}


@router.get("/deployments")
def list_deployments(model: str | None = None, version: str | None = None,
                     active_only: bool = True, s: Services = Depends(services),
                     who: Principal = Depends(principal)) -> dict[str, Any]:
    items = s.lineage.list_deployments(who, model, version or None, active_only)
    return {"deployments": [d.to_dict() for d in items]}
