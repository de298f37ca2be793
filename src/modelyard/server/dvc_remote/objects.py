"""The object routes of the DVC remote: read (GET/HEAD) and push (POST/PUT)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from modelyard.domain.dvc import DvcRemoteService, DvcUpload
from modelyard.domain.entities import Principal
from modelyard.errors import InvalidParameter
from modelyard.server.deps import principal, services
from modelyard.server.streaming import blob_response, receive_blob
from modelyard.services import Services

router = APIRouter(include_in_schema=False)

OBJECT = "/{project}/files/md5/{prefix}/{rest}"


def _oid(prefix: str, rest: str) -> str:
    if len(prefix) != 2:
        raise InvalidParameter("DVC objects live at files/md5/<2 hex digits>/<the rest>")
    return prefix + rest


class _Pushing:
    """What ``receive_blob`` writes through: the domain's md5-checking upload."""

    def __init__(self, dvc: DvcRemoteService, who: Principal, project: str, oid: str) -> None:
        self.dvc, self.who, self.project, self.oid = dvc, who, project, oid

    def writer(self, digest: str | None, max_size: int) -> DvcUpload:
        return self.dvc.upload(self.who, self.project, self.oid, max_size)


@router.api_route(OBJECT, methods=["GET", "HEAD"])
def get_object(project: str, prefix: str, rest: str, request: Request,
               s: Services = Depends(services), who: Principal = Depends(principal)) -> Response:
    reader = s.dvc_remote.reader(who, project, _oid(prefix, rest))
    return blob_response(reader, reader.sha256, request)


@router.api_route(OBJECT, methods=["POST", "PUT"])
async def push_object(project: str, prefix: str, rest: str, request: Request,
                      s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> dict[str, Any]:
    """Stream the object into the blob store; it is indexed (visible to ``dvc pull``)
    only once its md5 matches the id it was pushed under."""
    oid = _oid(prefix, rest)
    pushing = _Pushing(s.dvc_remote, who, project, oid)
    sha256, size = await receive_blob(pushing, None, request, s.settings.max_upload_size)
    return {"oid": oid, "sha256": sha256, "size": size}

