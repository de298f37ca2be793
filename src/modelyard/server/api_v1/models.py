"""Registered models, their tags and aliases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from modelyard.domain.entities import Principal
from modelyard.server.api_v1.governance import parse_at
from modelyard.server.api_v1.common import Int64, Search, SearchParams, page_body
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["models"])


class ModelCreate(BaseModel):
    name: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    project: str = "default"


class ModelPatch(BaseModel):
    description: str


class Rename(BaseModel):
    new_name: str


class TagValue(BaseModel):
    value: str


class AliasTarget(BaseModel):
    version: Int64


@router.post("/models", status_code=201)
def create_model(body: ModelCreate, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    m = s.registry.create_model(who, body.name, body.description, body.tags, body.project)
    return {"model": m.to_dict()}


@router.get("/models")
def search_models(q: SearchParams = Search,
                  kind: str = Query("model", description="model (the default), prompt, or all"),
                  s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    """Registered models; MLflow prompts (models tagged ``mlflow.prompt.is_prompt``)
    only with ``kind=prompt`` or ``kind=all``."""
    return page_body(s.registry.search_models(who, **q.kwargs(), kind=kind), "models")


@router.get("/prompts")
def search_prompts(q: SearchParams = Search, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    """MLflow 3's prompts (``mlflow.genai.register_prompt``): the models of kind
    prompt; their versions hold the templates (tag ``mlflow.prompt.text``)."""
    return page_body(s.registry.search_models(who, **q.kwargs(), kind="prompt"), "prompts")


@router.get("/models/{name}")
def get_model(name: str, deleted: bool = False, s: Services = Depends(services),
              who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"model": s.registry.get_model(who, name, deleted=deleted).to_dict()}


@router.patch("/models/{name}")
def update_model(name: str, body: ModelPatch, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"model": s.registry.update_model(who, name, body.description).to_dict()}


@router.post("/models/{name}/rename")
def rename_model(name: str, body: Rename, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"model": s.registry.rename_model(who, name, body.new_name).to_dict()}


@router.delete("/models/{name}")
def delete_model(name: str, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.delete_model(who, name)
    return {}


@router.post("/models/{name}/restore")
def restore_model(name: str, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"model": s.registry.restore_model(who, name).to_dict()}


@router.put("/models/{name}/tags/{key:path}")
def set_model_tag(name: str, key: str, body: TagValue, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.set_model_tag(who, name, key, body.value)
    return {}


@router.delete("/models/{name}/tags/{key:path}")
def delete_model_tag(name: str, key: str, s: Services = Depends(services),
                     who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.delete_model_tag(who, name, key)
    return {}


@router.put("/models/{name}/aliases/{alias}")
def set_alias(name: str, alias: str, body: AliasTarget, s: Services = Depends(services),
              who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"version": s.registry.set_alias(who, name, alias, body.version).to_dict()}


@router.get("/models/{name}/aliases/{alias}")
def get_alias(name: str, alias: str, files: bool = False,
              at: str | None = Query(None, description="what the alias pointed at then "
                                     "(ISO 8601, or ms since the epoch)"),
              s: Services = Depends(services),
              who: Principal = Depends(principal)) -> dict[str, Any]:
    if at is not None:
        return {"version": s.registry.alias_at(who, name, alias, parse_at(at)).to_dict()}
    v = s.registry.get_version(who, name, "@" + alias, with_files=files)
    return {"version": v.to_dict()}


@router.delete("/models/{name}/aliases/{alias}")
def delete_alias(name: str, alias: str, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.delete_alias(who, name, alias)
    return {}
