"""A project's DVC object index, read: which md5 object ids its DVC remote holds and
the sha256 of record of each (``modelyard dvc sync`` references pushed bytes by it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from modelyard.domain.entities import Principal
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["dvc"])


class OidList(BaseModel):
    oids: list[str]


@router.post("/projects/{project}/dvc-objects/search")
def search_objects(project: str, body: OidList, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    found = s.dvc_remote.resolve(who, project, body.oids)
    return {"objects": {k: {"sha256": v.sha256, "size": v.size} for k, v in found.items()}}
