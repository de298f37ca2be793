"""The ClearML file server under ``/clearml/files``.

Upload: ``POST /clearml/files[/]`` with a multipart body whose field name is the
target path (``/<project>/<task name>.<task id>/models/<file>``); the bytes stream
into the content-addressed blob store and the path becomes a run artifact of that
task, so the same weights uploaded again are stored once.  Download: ``GET
/clearml/files/<path>`` (decoded once, as ``requests`` percent-encodes spaces the SDK
left raw), streamed with ``Content-Length``.  Paths only ever name records
(:mod:`.paths`): nothing outside the blob store can be reached.
"""

from __future__ import annotations

import posixpath
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.refs import ref_from_parts
from modelyard.errors import InvalidParameter, NotFound, NotImplementedByServer
from modelyard.server import deps
from modelyard.server.clearml_compat import multipart, wire
from modelyard.server.clearml_compat.paths import parse_task_path, parse_version_path
from modelyard.server.streaming import verified_blob_response
from modelyard.services import Services

router = APIRouter(route_class=wire.ClearmlRoute, include_in_schema=False)
ROOT = "/clearml/files"
READ = 1 << 20


async def _store(svc: Services, who: Principal, chunks: AsyncIterator[bytes],
                 limit: int) -> tuple[str, int]:
    writer = svc.blob_service.acting(who).writer(None, limit)
    try:
        async for chunk in chunks:
            await run_in_threadpool(writer.write, chunk)
    except BaseException:
        writer.abort()
        raise
    size = await run_in_threadpool(writer.commit, None)
    return str(writer.digest), int(size)


async def _upload(request: Request) -> JSONResponse:
    """Every file of the body is stored first; the task's run gets them only once the
    body ended well, in one write, so a bad or cut-off later part leaves no earlier file
    visible (the SDK sends one file an upload; one upload names one task)."""
    svc, who = deps.services(request), deps.principal(request)
    stored: list[dict[str, Any]] = []
    task: str | None = None  # the run every file goes to
    files: list[FileEntry] = []
    content_type = request.headers.get("content-type", "")
    async for field, chunks in multipart.parts(request.stream(), content_type):
        target = parse_task_path(field)
        if target is None:
            raise InvalidParameter(
                f"cannot store {field!r}: paths are <project>/<task name>.<task id>/...")
        run_id, path = target
        if task is None:
            await run_in_threadpool(svc.tracking.get_run, who, run_id)
            task = run_id
        elif run_id != task:  # one task's files per upload, added in one write
            raise InvalidParameter("the files of one upload go to one task")
        sha256, size = await _store(svc, who, chunks, svc.settings.max_upload_size)
        files.append(FileEntry(path, size, sha256))
        stored.append({"name": field, "size": size, "sha256": sha256})
    if task is None:
        raise InvalidParameter("no file in the upload")
    await run_in_threadpool(svc.tracking.add_run_artifacts, who, task, files)
    return JSONResponse(stored)


@router.post(ROOT)
async def upload(request: Request) -> JSONResponse:
    return await _upload(request)


@router.post(ROOT + "/")
async def upload_slash(request: Request) -> JSONResponse:
    return await _upload(request)


def _entry(svc: Services, who: Principal, path: str) -> FileEntry:
    version = parse_version_path(path)
    if version is not None:
        return svc.registry.file_entry(who, ref_from_parts(version[0], version[1]), version[2])
    target = parse_task_path(path)
    if target is None:
        raise NotFound(f"no file {path!r}")
    try:
        return svc.tracking.run_artifact_entry(who, target[0], target[1])
    except InvalidParameter:
        raise NotFound(f"no file {path!r}") from None


@router.get(ROOT + "/{path:path}")
def download(path: str, request: Request) -> Response:
    svc, who = deps.services(request), deps.principal(request)
    entry = _entry(svc, who, path)
    return verified_blob_response(svc.blob_service.acting(who), entry.sha256, request,
                                  filename=posixpath.basename(entry.path))


@router.delete(ROOT + "/{path:path}")
def delete(path: str) -> Response:
    raise NotImplementedByServer("modelyard keeps uploaded weights: the versions and "
                                 "lineage that point at them stay resolvable")
