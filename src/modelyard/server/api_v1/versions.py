"""Model versions: commit, read, search, tag, stage, delete/restore, and their files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.refs import ref_from_parts
from modelyard.domain.search import quote
from modelyard.server.api_v1.common import Count, Int64, Search, SearchParams, page_body
from modelyard.server.deps import principal, services
from modelyard.server.streaming import blob_response
from modelyard.services import Services

router = APIRouter(tags=["versions"])


class FileIn(BaseModel):
    path: str
    size: Count
    sha256: str


class ParentIn(BaseModel):
    model: str
    version: Int64
    relation: str = "derived_from"


class VersionCreate(BaseModel):
    files: list[FileIn]
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    source: str = ""
    run_id: str | None = None
    flavor: str = ""
    signature: dict[str, Any] | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    parents: list[ParentIn] = Field(default_factory=list)


class VersionFromRun(BaseModel):
    """A version whose manifest is the run's artifacts under ``artifact_path`` (the
    same blobs, nothing copied).  Unless given, ``metrics`` are the run's latest finite
    metrics and ``source`` is ``runs:/<run_id>/<artifact_path>``."""

    run_id: str
    artifact_path: str = ""
    create_model: bool = True
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    source: str | None = None
    flavor: str = ""
    signature: dict[str, Any] | None = None
    metrics: dict[str, float] | None = None
    parents: list[ParentIn] = Field(default_factory=list)


class VersionPatch(BaseModel):
    description: str


class TagValue(BaseModel):
    value: str


class StageChange(BaseModel):
    stage: str
    archive_existing: bool = False
    comment: str = ""


@router.post("/models/{name}/versions", status_code=201)
def create_version(name: str, body: VersionCreate, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    files = [FileEntry(path=f.path, size=f.size, sha256=f.sha256) for f in body.files]
    v = s.registry.create_version(
        who, name, files, description=body.description, tags=body.tags, source=body.source,
        run_id=body.run_id, flavor=body.flavor, signature=body.signature,
        metrics=body.metrics, parents=[p.model_dump() for p in body.parents])
    return {"version": v.to_dict()}


@router.post("/models/{name}/versions/from-run", status_code=201)
def create_version_from_run(name: str, body: VersionFromRun, s: Services = Depends(services),
                            who: Principal = Depends(principal)) -> dict[str, Any]:
    """Register a run's artifacts as the next version of ``name`` (creating the model
    unless ``create_model`` is false).  400 ``INVALID_PARAMETER_VALUE`` when the run
    has no artifacts there, 404 ``RESOURCE_DOES_NOT_EXIST`` for an unknown run."""
    fields = body.model_dump(exclude_unset=True,
                             exclude={"run_id", "artifact_path", "create_model"})
    if fields.get("source") is None:
        fields.pop("source", None)
    if fields.get("metrics") is None:
        fields.pop("metrics", None)
    v = s.sources.register_from_run(who, name, body.run_id, body.artifact_path,
                                    create_model=body.create_model, **fields)
    return {"version": v.to_dict()}


@router.get("/models/{name}/versions")
def list_versions(name: str, q: SearchParams = Search, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.get_model(who, name)
    where = f"name = {quote(name)}" + (f" AND ({q.filter})" if q.filter else "")
    kwargs = q.kwargs() | {"filter": where, "order_by": q.order_by or ["version DESC"]}
    return page_body(s.registry.search_versions(who, **kwargs), "versions")


@router.get("/versions")
def search_versions(q: SearchParams = Search,
                    kind: str = Query("all", description="model, prompt, or all (the default)"),
                    s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    return page_body(s.registry.search_versions(who, **q.kwargs(), kind=kind), "versions")


@router.get("/models/{name}/versions/{version}")
def get_version(name: str, version: str, files: bool = True, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    """``version`` is a number, ``latest``, a stage name, or ``@alias``."""
    return {"version": s.registry.get_version(who, name, version, with_files=files).to_dict()}


@router.patch("/models/{name}/versions/{version}")
def update_version(name: str, version: str, body: VersionPatch, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"version": s.registry.update_version(who, name, version, body.description).to_dict()}


@router.delete("/models/{name}/versions/{version}")
def delete_version(name: str, version: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.delete_version(who, name, version)
    return {}


@router.post("/models/{name}/versions/{version}/restore")
def restore_version(name: str, version: Int64, s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"version": s.registry.restore_version(who, name, version).to_dict()}


@router.put("/models/{name}/versions/{version}/tags/{key:path}")
def set_version_tag(name: str, version: str, key: str, body: TagValue,
                    s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.set_version_tag(who, name, version, key, body.value)
    return {}


@router.delete("/models/{name}/versions/{version}/tags/{key:path}")
def delete_version_tag(name: str, version: str, key: str, s: Services = Depends(services),
                       who: Principal = Depends(principal)) -> dict[str, Any]:
    s.registry.delete_version_tag(who, name, version, key)
    return {}


@router.post("/models/{name}/versions/{version}/stage")
def transition_stage(name: str, version: str, body: StageChange, s: Services = Depends(services),
                     who: Principal = Depends(principal)) -> dict[str, Any]:
    v = s.registry.transition_stage(who, name, version, body.stage, comment=body.comment,
                                    archive_existing=body.archive_existing)
    return {"version": v.to_dict()}


@router.get("/models/{name}/versions/{version}/files")
def list_files(name: str, version: str, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    v = s.registry.get_version(who, name, version, with_files=True)
    return {"files": [f.to_dict() for f in v.files or []]}


@router.get("/models/{name}/versions/{version}/files/{path:path}")
def download_file(name: str, version: str, path: str, request: Request,
                  s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> Response:
    entry = s.registry.file_entry(who, ref_from_parts(name, version), path)
    return blob_response(s.blob_service.acting(who), entry.sha256, request,
                         filename=path.rsplit("/", 1)[-1])
