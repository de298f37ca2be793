"""Upload sessions (``domain/uploads.py``) over REST: multipart uploads that resume,
with parts sent through the server or straight to the object storage.

``POST /uploads`` opens a session for one blob; ``POST /uploads:batch`` opens many
(small files: one part each) and hands out their part URLs in the same answer;
``POST /uploads/{id}/urls`` gives part URLs (presigned storage URLs, or signed URLs of
the server's own part route); ``GET /uploads/{id}`` lists the parts received (resume);
``PUT /uploads/{id}/parts/{n}`` takes a part sent to a signed server URL (the signature
is the permission, as a storage presigned URL's is); ``POST /uploads/{id}/complete``
verifies the whole sha256 and makes the blob visible; ``DELETE /uploads/{id}`` aborts.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import Principal
from modelyard.domain.uploads import MAX_PART, MAX_PARTS, MIN_PART, PartTarget, UploadSession
from modelyard.domain.validation import is_ascii_int
from modelyard.errors import InvalidParameter, PayloadTooLarge
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["uploads"])


class NewUpload(BaseModel):
    sha256: str
    size: int = Field(ge=0)
    part_size: int | None = None


class NewBlob(BaseModel):
    sha256: str
    size: int = Field(ge=0)


class NewUploads(BaseModel):
    blobs: list[NewBlob]
    proxy: bool = False


class PartAsk(BaseModel):
    part: int
    sha256: str | None = None


class PartAsks(BaseModel):
    parts: list[PartAsk]
    proxy: bool = False


class UploadIds(BaseModel):
    upload_ids: list[str]


def session_json(session: UploadSession) -> dict[str, Any]:
    return {"upload_id": session.id, "sha256": session.digest, "size": session.size,
            "part_size": session.part_size, "parts": session.parts,
            "expires_at": session.expires_at}


def target_json(t: PartTarget) -> dict[str, Any]:
    return {"part": t.part, "url": t.url, "headers": t.headers, "direct": t.direct}


@router.get("/uploads:config")
def config(s: Services = Depends(services),
           who: Principal = Depends(principal)) -> dict[str, Any]:
    """What a client needs to plan an upload: whether parts go straight to the storage
    (``direct``), whether a blob PUT to the server writes only where no blob is and
    says so (``writes_once``: a small file need not be asked about first) and the
    part limits."""
    return {"direct": s.uploads.direct_available(), "writes_once": s.uploads.writes_once(),
            "min_part_size": MIN_PART, "max_part_size": MAX_PART, "max_parts": MAX_PARTS}


@router.post("/uploads")
def create(body: NewUpload, s: Services = Depends(services),
           who: Principal = Depends(principal)) -> dict[str, Any]:
    session = s.uploads.create(who, body.sha256, body.size, body.part_size)
    if session is None:
        return {"exists": True, "sha256": body.sha256, "size": body.size}
    return {"exists": False, **session_json(session)}


@router.post("/uploads:batch")
def create_many(body: NewUploads, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    """Single-part sessions for many small blobs (ask ``/blobs/missing`` first), each
    with the URL of its part."""
    made = s.uploads.create_many(who, [(b.sha256, b.size) for b in body.blobs],
                                 proxy=body.proxy)
    return {"uploads": [{**session_json(session), "urls": [target_json(t)]}
                        for session, t in made]}


@router.get("/uploads/{upload_id}")
def get(upload_id: str, s: Services = Depends(services),
        who: Principal = Depends(principal)) -> dict[str, Any]:
    session = s.uploads.get(who, upload_id)
    received = s.uploads.received(who, upload_id)
    return {**session_json(session),
            "received": [{"part": n, "size": received[n]} for n in sorted(received)]}


@router.post("/uploads/{upload_id}/urls")
def urls(upload_id: str, body: PartAsks, s: Services = Depends(services),
         who: Principal = Depends(principal)) -> dict[str, Any]:
    targets = s.uploads.part_urls(who, upload_id, [(p.part, p.sha256) for p in body.parts],
                                  proxy=body.proxy)
    return {"parts": [target_json(t) for t in targets]}


async def read_part(request: Request, limit: int = MAX_PART) -> bytes:
    """A part's body, refused past ``limit`` bytes while it streams in."""
    chunks: list[bytes] = []
    held = 0
    async for chunk in request.stream():
        held += len(chunk)
        if held > limit:
            raise PayloadTooLarge(f"a part is at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.put("/uploads/{upload_id}/parts/{part}")
async def put_part(upload_id: str, part: int, request: Request, response: Response,
                   s: Services = Depends(services)) -> dict[str, Any]:
    q = request.query_params
    expires, signature = q.get("expires", ""), q.get("signature", "")
    if not is_ascii_int(expires) or len(expires) > 18 or not signature:
        raise InvalidParameter("a part URL needs expires and signature (ask POST "
                               f"/api/v1/uploads/{upload_id}/urls)")
    sha256 = q.get("sha256") or None
    session = await run_in_threadpool(s.uploads.signed_session, upload_id, part,
                                      expires=int(expires), signature=signature, sha256=sha256)
    want = session.part_length(part)
    declared = request.headers.get("content-length", "")
    if want is not None and is_ascii_int(declared) and int(declared) != want:
        raise InvalidParameter(f"part {part} must have {want} bytes, not {declared}")
    data = await read_part(request, MAX_PART if want is None else want)
    etag = await run_in_threadpool(s.uploads.put_part_signed, session, part, data, sha256)
    response.headers["ETag"] = f'"{etag}"'
    return {"part": part, "etag": etag}


@router.post("/uploads/{upload_id}/complete")
def complete(upload_id: str, s: Services = Depends(services),
             who: Principal = Depends(principal)) -> dict[str, Any]:
    digest, size = s.uploads.complete(who, upload_id)
    return {"sha256": digest, "size": size}


@router.post("/uploads:complete-batch")
def complete_many(body: UploadIds, s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    """Complete many sessions (16 at once); the first failure is raised once every
    session was tried (each one verified or aborted on its own)."""
    done = s.uploads.complete_many(who, body.upload_ids)
    return {"completed": [{"upload_id": u, "sha256": d, "size": n} for u, d, n in done]}


@router.delete("/uploads/{upload_id}")
def abort(upload_id: str, s: Services = Depends(services),
          who: Principal = Depends(principal)) -> dict[str, Any]:
    s.uploads.abort(who, upload_id)
    return {}
