"""The event log (audit), projects, and maintenance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from modelyard.domain.entities import Principal
from modelyard.server.api_v1.common import Int64, page_body
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["events"])


@router.get("/events")
def list_events(entity_type: str | None = None, entity_id: str | None = None,
                model: str | None = Query(None, description="a model's events under every "
                                          "name it has had (with its versions and aliases)"),
                type: str | None = Query(None, description="event type prefix, e.g. 'alias.'"),
                types: list[str] | None = Query(None, description="exact event types, "
                                                "e.g. alias.moved (repeatable)"),
                user: str | None = Query(None, description="the principal who acted"),
                since: Int64 | None = Query(None, description="earliest time, ms since "
                                            "the epoch"),
                after_id: Int64 | None = None, newest_first: bool = False,
                max_results: int = Query(100, ge=1, le=10000), page_token: str | None = None,
                s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    page = s.audit.list_events(who, entity_type=entity_type, entity_id=entity_id,
                               type_prefix=type, after_id=after_id, newest_first=newest_first,
                               max_results=max_results, page_token=page_token, model=model,
                               user=user, since=since, types=types)
    return page_body(page, "events")


class ProjectCreate(BaseModel):
    name: str
    description: str = ""


@router.get("/projects", tags=["projects"])
def list_projects(s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"projects": [p.to_dict() for p in s.registry.list_projects(who)]}


@router.post("/projects", status_code=201, tags=["projects"])
def create_project(body: ProjectCreate, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"project": s.registry.create_project(who, body.name, body.description).to_dict()}


class GcRequest(BaseModel):
    dry_run: bool = False
    grace_seconds: Int64 | None = None
    force: bool = False


@router.post("/admin/gc", tags=["admin"])
def collect_garbage(body: GcRequest, s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    report = s.gc.collect(who, dry_run=body.dry_run, grace_seconds=body.grace_seconds,
                          force=body.force)
    return {"report": report.to_dict()}
