"""``POST /api/v1/admin/fsck``: re-hash stored blobs and report missing and corrupt
ones with the manifests that point at them (see ``domain/fsck.py``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import Principal
from modelyard.domain.validation import INT64_MAX
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["admin"])


class FsckRequest(BaseModel):
    sample: int | None = Field(None, ge=0, le=INT64_MAX,
                               description="Re-hash this many blobs chosen at random "
                                           "(default: every blob)")


@router.post("/admin/fsck")
async def fsck(body: FsckRequest, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> dict[str, Any]:
    report = await run_in_threadpool(s.fsck.check, who, body.sample)
    return {"report": report.to_dict()}
