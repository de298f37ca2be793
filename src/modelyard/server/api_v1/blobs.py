"""The content-addressed upload protocol: which digests are missing, upload, download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from modelyard.domain.entities import Principal
from modelyard.domain.validation import check_digest
from modelyard.errors import InvalidParameter
from modelyard.server.deps import principal, services
from modelyard.server.streaming import blob_response, receive_blob
from modelyard.services import Services

router = APIRouter(tags=["blobs"])

MAX_DIGESTS = 100_000


class DigestList(BaseModel):
    digests: list[str]


@router.post("/blobs/missing")
def missing(body: DigestList, s: Services = Depends(services),
            who: Principal = Depends(principal)) -> dict[str, Any]:
    if len(body.digests) > MAX_DIGESTS:
        raise InvalidParameter(f"at most {MAX_DIGESTS} digests per call")
    for d in body.digests:
        check_digest(d)
    return {"missing": s.blobs.missing(body.digests)}


@router.put("/blobs/sha256/{digest}")
async def upload(digest: str, request: Request, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    """Stream the body into the blob store; it becomes visible only once its sha256
    and length are verified.  Re-uploading an existing blob is harmless."""
    _, size = await receive_blob(s.blobs, digest, request, s.settings.max_upload_size)
    return {"sha256": digest, "size": size}


@router.get("/blobs/sha256/{digest}")
def download(digest: str, request: Request, s: Services = Depends(services),
             who: Principal = Depends(principal)) -> Response:
    return blob_response(s.blobs, check_digest(digest), request)
