"""Bytes over HTTP: stream uploads into the blob store, stream blobs out (with Range)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import ClientDisconnect

from modelyard.domain.validation import check_digest
from modelyard.errors import InvalidParameter, PayloadTooLarge, RangeNotSatisfiable

# Chunks from the socket are gathered to this size before one write in a worker
# thread (hashing releases the GIL), so the event loop never blocks on disk.
FLUSH = 4 << 20

log = logging.getLogger("modelyard.server")


async def receive_blob(blobs: Any, digest: str | None, request: Request,
                       max_size: int) -> tuple[str, int]:
    """Stream the request body into the blob store; returns (sha256, size).  With
    ``digest`` None the blob is stored under the digest computed from the bytes."""
    writer, size = await receive_into(blobs, digest, request, max_size)
    return writer.digest, size


async def receive_into(blobs: Any, digest: str | None, request: Request,
                       max_size: int) -> tuple[Any, int]:
    """:func:`receive_blob`, answering the committed writer (its ``digest``, and its
    ``created`` where the store says whether the bytes were new) and the size."""
    if digest is not None:
        check_digest(digest)
    declared = request.headers.get("content-length")
    expected = int(declared) if declared and declared.isascii() and declared.isdigit() else None
    if expected is not None and expected > max_size:
        raise PayloadTooLarge(f"blob of {expected} bytes is above the limit of {max_size}")
    writer = await run_in_threadpool(blobs.writer, digest, max_size)
    chunks: list[bytes] = []
    held = 0
    # One write in flight while the next chunk is received: hashing and disk overlap
    # with the socket, and writes stay in order.  Chunks are joined once (one copy).
    pending: asyncio.Future[None] | None = None
    try:
        async for chunk in request.stream():
            chunks.append(chunk)
            held += len(chunk)
            if held >= FLUSH:
                data, chunks, held = b"".join(chunks), [], 0
                if pending is not None:
                    await pending
                pending = asyncio.ensure_future(run_in_threadpool(writer.write, data))
        if pending is not None:
            await pending
            pending = None
        if chunks:
            await run_in_threadpool(writer.write, b"".join(chunks))
    except ClientDisconnect:
        await _settle(pending)
        await run_in_threadpool(writer.abort)
        raise InvalidParameter("upload interrupted before the end; nothing was stored") from None
    except BaseException:
        await _settle(pending)
        await run_in_threadpool(writer.abort)
        raise
    size = await run_in_threadpool(writer.commit, expected)
    return writer, size


async def _settle(pending: asyncio.Future[None] | None) -> None:
    """Let a write in flight finish (its error is the one already being handled)."""
    if pending is not None:
        await asyncio.wait([pending])
        if not pending.cancelled():
            pending.exception()  # retrieved, so asyncio does not log it


class BlobFileResponse(FileResponse):
    """Starlette's FileResponse reads 64 KiB a thread hop; 1 MiB keeps a core busy."""

    chunk_size = 1 << 20


def blob_response(blobs: Any, digest: str, request: Request, filename: str | None = None) -> Response:
    asked = request.headers.get("range")
    local = None if asked else blobs.local_path(digest)
    if local is not None:  # a whole file from disk; ranges are answered below, alike
        return BlobFileResponse(local, media_type="application/octet-stream",
                                headers=_blob_headers(digest), filename=filename,
                                content_disposition_type="attachment")
    size = blobs.size(digest)
    return _streamed(blobs, digest, size, parse_range(asked, size) or (0, size), filename)


def _blob_headers(digest: str) -> dict[str, str]:
    return {"ETag": f'"{digest}"', "X-Content-SHA256": digest,
            "Cache-Control": "private, max-age=31536000, immutable"}


def _streamed(blobs: Any, digest: str, size: int, span: tuple[int, int],
              filename: str | None) -> Response:
    """Bytes ``span`` ([start, end)) of a blob of ``size`` bytes: 206 with its
    ``Content-Range``, or 200 for the whole blob."""
    start, end = span
    headers = {**_blob_headers(digest), **_disposition(filename)}
    if start or end != size:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    headers["Accept-Ranges"] = "bytes"
    return StreamingResponse(blobs.read_chunks(digest, start, end), status_code=206 if
                             "Content-Range" in headers else 200,
                             media_type="application/octet-stream", headers=headers)


#: The media type of a batch read's body (see :func:`batch_response`).
BATCH_MEDIA_TYPE = "application/vnd.modelyard.blobs"
# Frames are gathered to this size before one send (small blobs, few thread hops).
BATCH_FLUSH = 256 << 10


def batch_response(batch: Any) -> Response:
    """Many blobs in one body, one frame each, in the order of ``batch.items``: a
    header line ``<sha256 hex> <size>\n`` then exactly ``size`` bytes; after the last
    frame the line ``end\n``.  A stored blob whose length is not the one announced
    (damaged storage) cuts the body short before ``end``, so no client takes the
    stream for complete; every client also re-hashes each blob."""
    def frames() -> Iterator[bytes]:  # runs in a worker thread: disk reads
        out: list[bytes] = []
        held = 0
        for digest, size in batch.items:
            out.append(f"{digest} {size}\n".encode("ascii"))
            sent = 0
            for chunk in batch.chunks(digest):
                sent += len(chunk)
                out.append(chunk)
                held += len(chunk)
                if held >= BATCH_FLUSH:
                    yield b"".join(out)
                    out, held = [], 0
            if sent != size:
                log.error("stored blob sha256 %s has %d bytes, not %d; the batch read was "
                          "cut off (run `modelyard fsck`)", digest, sent, size)
                return
        out.append(b"end\n")
        yield b"".join(out)

    return StreamingResponse(frames(), media_type=BATCH_MEDIA_TYPE,
                             headers={"Cache-Control": "no-store"})


_RANGE = re.compile(r"bytes=([0-9]{0,19})-([0-9]{0,19})", re.IGNORECASE)


def _disposition(filename: str | None) -> dict[str, str]:
    if filename is None:
        return {}
    quoted = quote(filename)
    return {"Content-Disposition": f'attachment; filename="{filename}"' if quoted == filename
            else f"attachment; filename*=utf-8''{quoted}"}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) of a single byte range (RFC 9110, 14.1.2), or None to send the
    whole blob: no header, several ranges, or one that is not a valid range (which a
    server may ignore).  A valid range that no byte is in: RangeNotSatisfiable (416)."""
    found = _RANGE.fullmatch((header or "").strip())
    if found is None or found.group(0).lower() == "bytes=-":
        return None
    first, last = found.groups()
    if not first:  # the last N bytes
        if int(last) == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - int(last)), size
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: ignored
    if start >= size:
        raise RangeNotSatisfiable(size)
    return start, min(int(last) + 1, size) if last else size


def verified_blob_response(blobs: Any, digest: str, request: Request,
                           filename: str | None = None) -> Response:
    """A whole blob, re-hashed while it streams (for clients that do not check a
    digest themselves, such as MLflow's).  A range is served as :func:`blob_response`
    serves one."""
    size = blobs.size(digest)
    span = parse_range(request.headers.get("range"), size)
    if span is not None:
        return _streamed(blobs, digest, size, span, filename)
    headers = {**_blob_headers(digest), "Content-Length": str(size), **_disposition(filename)}
    return VerifiedBlobResponse(blobs.read_chunks(digest), digest, headers)


class VerifiedBlobResponse(Response):
    """Sends the blob's chunks, the last one only once their sha256 matched the digest.
    On a mismatch the response is never completed: the server closes the connection
    short of the announced ``Content-Length``, so no client can take the damaged
    bytes for a finished download (the status line was sent before any byte was
    hashed)."""

    media_type = "application/octet-stream"

    def __init__(self, chunks: Iterator[bytes], digest: str, headers: dict[str, str]) -> None:
        super().__init__(headers=headers, media_type=self.media_type)
        self.chunks = chunks
        self.digest = digest
        self.hash = hashlib.sha256()

    def _hashed(self) -> Iterator[bytes]:
        for chunk in self.chunks:  # runs in a worker thread: reading and hashing
            self.hash.update(chunk)
            yield chunk

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        held: bytes | None = None
        async for chunk in iterate_in_threadpool(self._hashed()):
            if held is not None:
                await send({"type": "http.response.body", "body": held, "more_body": True})
            held = chunk
        if self.hash.hexdigest() != self.digest:
            log.error("stored blob sha256 %s does not match its bytes; the download was "
                      "cut off (run `modelyard fsck`)", self.digest)
            return
        await send({"type": "http.response.body", "body": held or b"", "more_body": False})
