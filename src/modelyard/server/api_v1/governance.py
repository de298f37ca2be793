"""Lifecycle governance: project policies, transition requests, alias history, alias
at a time, rollback and batch moves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from modelyard.domain.entities import Principal
from modelyard.domain.governance_records import time_ms
from modelyard.errors import InvalidParameter
from modelyard.server.api_v1.common import page_body
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["governance"])


class PolicyIn(BaseModel):
    source: str = Field(description="the policy document, YAML or JSON")


class Comment(BaseModel):
    comment: str = ""


class AliasBatch(BaseModel):
    moves: dict[str, int | None] = Field(default_factory=dict,
                                         description="alias -> version (null removes it)")
    swap: list[str] | None = Field(None, description="two aliases whose versions swap")


def parse_at(text: str) -> int:
    """An ISO 8601 time (``2026-11-01T12:00:00Z``) or milliseconds since the epoch; a
    ``+`` offset arrives as a space when the query was not encoded."""
    return time_ms(text.replace(" ", "+"))


@router.get("/projects/{project}/policy", tags=["projects"])
def get_policy(project: str, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"policy": s.registry.get_policy(who, project).to_dict()}


@router.put("/projects/{project}/policy", tags=["projects"])
def set_policy(project: str, body: PolicyIn, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"policy": s.registry.set_policy(who, project, body.source).to_dict()}


@router.delete("/projects/{project}/policy", tags=["projects"])
def delete_policy(project: str, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.delete_policy(who, project)
    return {}


@router.get("/requests")
def list_requests(model: str | None = None, open: bool = False,
                  max_results: int = Query(100, ge=1, le=10000), page_token: str | None = None,
                  s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    page = s.registry.list_requests(who, model=model, open_only=open,
                                    max_results=max_results, page_token=page_token)
    return page_body(page, "requests")


@router.get("/requests/{request_id}")
def get_request(request_id: int, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"request": s.registry.get_request(who, request_id).to_dict()}


@router.post("/requests/{request_id}:approve")
def approve_request(request_id: int, body: Comment, s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"request": s.registry.approve_request(who, request_id, body.comment).to_dict()}


@router.post("/requests/{request_id}:reject")
def reject_request(request_id: int, body: Comment, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"request": s.registry.reject_request(who, request_id, body.comment).to_dict()}


@router.post("/requests/{request_id}:cancel")
def cancel_request(request_id: int, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"request": s.registry.cancel_request(who, request_id).to_dict()}


@router.get("/models/{name}/aliases/{alias}/history")
def alias_history(name: str, alias: str, max_results: int = Query(100, ge=1, le=10000),
                  page_token: str | None = None, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    page = s.registry.alias_history(who, name, alias, max_results=max_results,
                                    page_token=page_token)
    return page_body(page, "moves")


@router.post("/models/{name}/aliases/{alias}/rollback")
def rollback_alias(name: str, alias: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"version": s.registry.rollback_alias(who, name, alias).to_dict()}


@router.post("/models/{name}/aliases:batch")
def batch_aliases(name: str, body: AliasBatch, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    if body.swap is not None:
        if len(body.swap) != 2 or body.moves:
            raise InvalidParameter("'swap' names two aliases, without 'moves'")
        moved = s.registry.swap_aliases(who, name, body.swap[0], body.swap[1])
    else:
        moved = s.registry.set_aliases(who, name, dict(body.moves), via="batch")
    return {"versions": [v.to_dict() for v in moved]}
