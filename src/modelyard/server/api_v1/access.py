"""Users, tokens and role grants; ``/whoami``.  Every decision is the access service's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from modelyard.domain.entities import Principal
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["access"])


class UserCreate(BaseModel):
    name: str
    password: str | None = None
    admin: bool = False
    kind: str = "user"
    groups: list[str] = Field(default_factory=list)
    with_token: bool | None = None


class UserPatch(BaseModel):
    disabled: bool | None = None
    admin: bool | None = None
    password: str | None = None
    groups: list[str] | None = None


class TokenCreate(BaseModel):
    name: str
    user: str | None = None
    expires: str | None = None
    scope: str = "write"


class GrantBody(BaseModel):
    subject: str
    role: str
    project: str | None = None
    model: str | None = None
    experiment: str | None = None  # an experiment id
    group: bool = False


@router.get("/whoami")
def whoami(s: Services = Depends(services), who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"principal": s.access.whoami(who)}


@router.post("/users", status_code=201)
def create_user(body: UserCreate, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    user = s.access.create_user(who, body.name, password=body.password, is_admin=body.admin,
                                kind=body.kind, groups=body.groups,
                                with_token=body.with_token)
    return {"user": user.to_dict()}


@router.get("/users")
def list_users(s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"users": [u.to_dict() for u in s.access.list_users(who)]}


@router.get("/users/{name}")
def get_user(name: str, s: Services = Depends(services),
             who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"user": s.access.get_user(who, name).to_dict()}


@router.patch("/users/{name}")
def update_user(name: str, body: UserPatch, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    user = s.access.update_user(who, name, disabled=body.disabled, is_admin=body.admin,
                                password=body.password, groups=body.groups)
    return {"user": user.to_dict()}


@router.delete("/users/{name}")
def delete_user(name: str, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    s.access.delete_user(who, name)
    return {}


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    token = s.access.create_token(who, body.name, user=body.user, expires=body.expires,
                                  scope=body.scope)
    return {"token": token.to_dict()}


@router.get("/tokens")
def list_tokens(user: str | None = None, all: bool = False, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"tokens": [t.to_dict() for t in s.access.list_tokens(who, user, all_users=all)]}


@router.delete("/tokens/{token_id}")
def revoke_token(token_id: str, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"token": s.access.revoke_token(who, token_id).to_dict()}


@router.get("/grants")
def list_grants(user: str | None = None, project: str | None = None, model: str | None = None,
                experiment: str | None = None, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    grants = s.access.list_grants(who, user=user, project=project, model=model,
                                  experiment=experiment)
    return {"grants": [g.to_dict() for g in grants]}


@router.post("/grants", status_code=201)
def grant_role(body: GrantBody, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    grant = s.access.grant_role(who, body.subject, body.role, project=body.project,
                                model=body.model, experiment=body.experiment,
                                group=body.group)
    return {"grant": grant.to_dict()}


@router.delete("/grants")
def revoke_role(subject: str = Query(...), project: str | None = None,
                model: str | None = None, experiment: str | None = None, group: bool = False,
                s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    s.access.revoke_role(who, subject, project=project, model=model, experiment=experiment,
                         group=group)
    return {}
