"""MLflow's proxied multipart upload (``/api/2.0/mlflow-artifacts/mpu/create|complete|abort``),
as the mlflow client calls it with ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true``, over
the domain's upload sessions (``domain/uploads.py``).

``create`` opens a session of ``num_parts`` parts whose digest is known only at the
end and answers one credential a part: a presigned storage URL (object storage with
direct transfers on) or a signed URL of the server's own part route (the local folder,
or ``--proxy-artifacts``), which the mlflow client PUTs without a credential of its
own.  ``complete`` has the storage assemble the parts, verifies the whole sha256 by
reading it back, and only then adds the file to the run's (or logged model's)
artifacts; ``abort`` drops the session and its parts.
"""

from __future__ import annotations

import contextlib
import posixpath
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.uploads import MAX_BATCH
from modelyard.domain.validation import is_ascii_int
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat.common import (
    MlflowRoute,
    get_str,
    mlflow_args,
    need_str,
    principal,
    services,
)
from modelyard.domain.sources import ArtifactSource
from modelyard.server.mlflow_compat.artifacts import attach, upload_target
from modelyard.server.origin import public_base
from modelyard.services import Services

router = APIRouter(include_in_schema=False, route_class=MlflowRoute)

ROOT = "/api/2.0/mlflow-artifacts/mpu"


def _target(path: str, args: dict[str, Any]) -> ArtifactSource:
    """The artifact the upload makes: the file's base name under ``path``."""
    name = posixpath.basename(get_str(args, "path", "") or "")
    if not name or name in (".", ".."):
        raise InvalidParameter("path must name the file being uploaded")
    return upload_target(posixpath.join(path, name), path, leaf="dir")


def _num_parts(args: dict[str, Any]) -> int:
    value = args.get("num_parts", 1)
    if isinstance(value, str) and is_ascii_int(value) and len(value) <= 18:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidParameter(f"Invalid value {value!r} for parameter 'num_parts' supplied")
    return value


@router.post(ROOT + "/create/{path:path}")
def create(path: str, request: Request, args: dict[str, Any] = Depends(mlflow_args),
           s: Services = Depends(services), who: Principal = Depends(principal)) -> dict[str, Any]:
    s.sources.check_upload_target(who, _target(path, args))  # before a session is opened
    session = s.uploads.create_by_parts(who, _num_parts(args))
    targets = []
    try:  # the domain hands out at most MAX_BATCH part URLs a call
        for first in range(1, session.parts + 1, MAX_BATCH):
            last = min(first + MAX_BATCH, session.parts + 1)
            targets += s.uploads.part_urls(who, session.id, [(n, None) for n in range(first, last)])
    except BaseException:  # the client never learns the id: no session is left behind
        with contextlib.suppress(Exception):  # the first error is the one to answer
            s.uploads.abort(who, session.id)
        raise
    base = public_base(request)  # behind a proxy, the address the client reaches
    return {"upload_id": session.id, "credentials": [
        {"url": t.url if t.direct else base + t.url, "part_number": t.part,
         "headers": t.headers} for t in targets]}


@router.post(ROOT + "/complete/{path:path}")
async def complete(path: str, args: dict[str, Any] = Depends(mlflow_args),
                   s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    target = _target(path, args)
    # Checked again before the session is used up: a run deleted meanwhile is refused
    # with the session kept, so that the client can restore it and complete again.
    await run_in_threadpool(s.sources.check_upload_target, who, target)
    sha256, size = await run_in_threadpool(s.uploads.complete, who, need_str(args, "upload_id"))
    await attach(s, who, target, FileEntry(target.path, size, sha256))
    return {}


@router.post(ROOT + "/abort/{path:path}")
def abort(path: str, args: dict[str, Any] = Depends(mlflow_args),
          s: Services = Depends(services), who: Principal = Depends(principal)) -> dict[str, Any]:
    s.uploads.abort(who, need_str(args, "upload_id"))
    return {}
