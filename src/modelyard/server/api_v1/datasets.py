"""Datasets: versions as content-addressed manifests with a profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from modelyard.domain.entities import FileEntry, Principal
from modelyard.errors import NotFound
from modelyard.server.api_v1.common import Count, page_body
from modelyard.server.deps import principal, services
from modelyard.server.streaming import blob_response
from modelyard.services import Services

router = APIRouter(tags=["datasets"])


class FileIn(BaseModel):
    path: str
    size: Count
    sha256: str


class DatasetVersionCreate(BaseModel):
    files: list[FileIn] = Field(default_factory=list)
    profile: dict[str, Any] | None = None
    source: str = ""
    source_type: str = ""
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    digest: str | None = None


@router.get("/datasets")
def list_datasets(name_like: str | None = None, max_results: int = Query(100, ge=1, le=10000),
                  page_token: str | None = None, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    return page_body(s.datasets.list_datasets(who, name_like, max_results, page_token),
                     "datasets")


@router.get("/datasets/{name}")
def get_dataset(name: str, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"dataset": s.datasets.get_dataset(who, name).to_dict()}


@router.post("/datasets/{name}/versions", status_code=201)
def create_dataset_version(name: str, body: DatasetVersionCreate,
                           s: Services = Depends(services),
                           who: Principal = Depends(principal)) -> dict[str, Any]:
    files = [FileEntry(path=f.path, size=f.size, sha256=f.sha256) for f in body.files]
    dv = s.datasets.create_dataset_version(
        who, name, files, profile=body.profile, source=body.source,
        source_type=body.source_type, description=body.description, tags=body.tags,
        digest=body.digest)
    return {"dataset_version": dv.to_dict()}


@router.get("/datasets/{name}/versions")
def list_dataset_versions(name: str, s: Services = Depends(services),
                          who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"dataset_versions": [v.to_dict()
                                 for v in s.datasets.list_dataset_versions(who, name)]}


@router.get("/datasets/{name}/versions/{version}")
def get_dataset_version(name: str, version: str, files: bool = True,
                        s: Services = Depends(services),
                        who: Principal = Depends(principal)) -> dict[str, Any]:
    """``version`` is a number or ``latest``."""
    dv = s.datasets.get_dataset_version(who, name, version, with_files=files)
    return {"dataset_version": dv.to_dict()}


@router.get("/datasets/{name}/versions/{version}/files/{path:path}")
def download_dataset_file(name: str, version: str, path: str, request: Request,
                          s: Services = Depends(services),
                          who: Principal = Depends(principal)) -> Response:
    dv = s.datasets.get_dataset_version(who, name, version, with_files=True)
    entry = next((f for f in dv.files or [] if f.path == path), None)
    if entry is None:
        raise NotFound(f"dataset {name}/{dv.version} has no file {path!r}")
    return blob_response(s.blob_service.acting(who), entry.sha256, request,
                         filename=path.rsplit("/", 1)[-1])
