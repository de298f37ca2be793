"""The content-addressed upload protocol: which digests are missing, upload, download
one blob, or many small ones in one response (``POST /blobs:batch-read``), or where to
download them from (``POST /blobs:locate``: presigned storage URLs, or the server); all
through the domain's blob service, with the acting principal."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from modelyard.domain.entities import Principal
from modelyard.domain.validation import check_digest
from modelyard.server.deps import principal, services
from modelyard.server.streaming import batch_response, blob_response, receive_into
from modelyard.services import Services

router = APIRouter(tags=["blobs"])


class DigestList(BaseModel):
    digests: list[str]


@router.post("/blobs/missing")
def missing(body: DigestList, s: Services = Depends(services),
            who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"missing": s.blob_service.missing(who, body.digests)}


@router.put("/blobs/sha256/{digest}")
async def upload(digest: str, request: Request, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    """Stream the body into the blob store; it becomes visible only once its sha256
    and length are verified.  Re-uploading an existing blob is harmless: ``created``
    says whether the bytes were new (false when the store held them already)."""
    writer, size = await receive_into(s.blob_service.acting(who), digest, request,
                                      s.settings.max_upload_size)
    return {"sha256": digest, "size": size, "created": bool(getattr(writer, "created", True))}


@router.get("/blobs/sha256/{digest}")
def download(digest: str, request: Request, s: Services = Depends(services),
             who: Principal = Depends(principal)) -> Response:
    return blob_response(s.blob_service.acting(who), check_digest(digest), request)


@router.post("/blobs:batch-read")
def batch_read(body: DigestList, s: Services = Depends(services),
               who: Principal = Depends(principal)) -> Response:
    """Many small blobs in one streamed body (frames: ``<sha256> <size>\\n`` then the
    bytes; ``end\\n`` last).  Each must be readable through a manifest the caller may
    read; every digest is checked before the first byte is sent."""
    return batch_response(s.blob_service.read_many(who, body.digests))


@router.post("/blobs:locate")
def locate(body: DigestList, s: Services = Depends(services),
           who: Principal = Depends(principal)) -> dict[str, Any]:
    """Where to read each blob: a short-lived presigned ``url`` straight from object
    storage, or ``url: null`` (a local store, or the server runs with
    ``--proxy-artifacts``): read ``GET /blobs/sha256/{digest}``.  Checked as a read:
    every digest must be readable through a manifest the caller may read."""
    found = s.blob_service.locate(who, body.digests)
    return {"locations": [{"sha256": f.sha256, "size": f.size, "url": f.url,
                           "expires_in": f.expires_in} for f in found]}
