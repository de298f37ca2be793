"""The lineage graph of a model version, run, dataset version or deployment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from modelyard.domain.entities import Principal
from modelyard.server.api_v1.tracking_common import NanJSONResponse
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["lineage"])


@router.get("/lineage")
def lineage(entity: str = Query(..., description="e.g. model-version:fraud/3, run:<id>, "
                                                 "dataset-version:tx/2, deployment:<id>"),
            direction: str = Query("upstream", description="upstream, downstream or both"),
            depth: int = Query(3, ge=0, le=20), s: Services = Depends(services),
            who: Principal = Depends(principal)) -> Any:
    return NanJSONResponse(s.lineage.lineage(who, entity, direction, depth).to_dict())
