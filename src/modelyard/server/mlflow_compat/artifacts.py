"""MLflow's proxied artifact service (``/api/2.0/mlflow-artifacts/artifacts``), as
``mlflow server --serve-artifacts`` offers it, over the content-addressed store.

An upload is one streamed PUT: the bytes go to the blob store under their sha256,
then the path is added to the run's (or logged model's) manifest.  Downloads stream
the blob; every byte goes through the domain's blob service.  Deleting a run's
artifact removes the run's reference, never bytes a version shares.  Paths are parsed in
``sources.py``; they always name a run, a logged model or a registered version, never
a location on disk.  MLflow's client checks no digest, so a whole-file download is
re-hashed as it streams and cut off, never completed, if the stored bytes are damaged.
"""

from __future__ import annotations

import posixpath
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.logged_models import list_folder
from modelyard.domain.sources import ArtifactSource
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat.common import (
    MlflowRoute,
    get_str,
    mlflow_args,
    need_str,
    principal,
    services,
)
from modelyard.server.mlflow_compat.sources import parse_artifact_path
from modelyard.server.streaming import receive_blob, verified_blob_response
from modelyard.services import Services

router = APIRouter(include_in_schema=False,
                   route_class=MlflowRoute)

ROOT = "/api/2.0/mlflow-artifacts/artifacts"


def _listing(s: Services, who: Principal, path: str) -> list[dict[str, Any]]:
    target = parse_artifact_path(path, quoted=True)  # as get-download-uri wrote it
    if target is None:
        return []
    entries = list_folder(s.sources.files(who, target, target.path), target.path)
    return [{"path": posixpath.basename(e["path"]), "is_dir": e["is_dir"],
             **({} if e["is_dir"] else {"file_size": e["size"]})} for e in entries]


@router.get(ROOT)
def list_artifacts(args: dict[str, Any] = Depends(mlflow_args), s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    """Entries directly under ``path``, by base name (as MLflow's server answers); a
    path naming a file, or nothing, lists as empty."""
    files = _listing(s, who, get_str(args, "path", "") or "")
    return {"files": files} if files else {}


@router.put(ROOT + "/{path:path}")
async def upload_artifact(path: str, request: Request, s: Services = Depends(services),
                          who: Principal = Depends(principal)) -> dict[str, Any]:
    target = upload_target(path, path)
    await run_in_threadpool(s.sources.check_upload_target, who, target)  # before any byte
    sha256, size = await receive_blob(s.blob_service.acting(who), None, request,
                                      s.settings.max_upload_size)
    await attach(s, who, target, FileEntry(target.path, size, sha256))
    return {}


def upload_target(path: str, asked: str, leaf: str = "file") -> ArtifactSource:
    """Where an upload to ``path`` goes: a run's or a logged model's file (a version's
    files are immutable); ``asked`` is the path as the client gave it."""
    target = parse_artifact_path(path)
    if target is not None and "" in path.split("/"):  # refused, never cleaned up
        raise InvalidParameter(f"Invalid path: {asked}")
    if target is None or not target.path:
        raise InvalidParameter(
            f"cannot upload to {asked!r}: artifact paths are <experiment_id>/<run_id>/artifacts/"
            f"<{leaf}> or <experiment_id>/models/<model_id>/artifacts/<{leaf}>")
    if target.kind == "version":
        raise InvalidParameter("a registered model version is immutable; register a new one")
    return target


async def attach(s: Services, who: Principal, target: ArtifactSource, entry: FileEntry) -> None:
    """Add an uploaded file to the run or logged model it was uploaded to."""
    if target.kind == "run":
        await run_in_threadpool(s.tracking.add_run_artifacts, who, target.key, [entry])
    else:
        await run_in_threadpool(s.logged_models.add_files, who, target.key, [entry])


@router.get(ROOT + "/{path:path}")
def download_artifact(path: str, request: Request, s: Services = Depends(services),
                      who: Principal = Depends(principal)) -> Response:
    target = parse_artifact_path(path)
    if target is None:
        raise InvalidParameter(f"no artifact {path!r}")
    entry = s.sources.entry(who, target)
    return verified_blob_response(s.blob_service.acting(who), entry.sha256, request,
                                  filename=posixpath.basename(entry.path))


@router.delete(ROOT + "/{path:path}")
def delete_artifact(path: str, s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    """The mlflow client's ``delete_artifacts`` of a run's artifact repository: the run's
    file, or folder with everything under it, leaves the run's manifest (editor of the
    run's experiment).  No byte is deleted: a version registered from the run keeps
    its files, and gc reclaims blobs nothing references.  A path the run does not
    have deletes nothing, as MLflow's server answers."""
    target = parse_artifact_path(path)
    if target is None:
        raise InvalidParameter(
            f"cannot delete {path!r}: artifact paths are <experiment_id>/<run_id>/artifacts/"
            "<path>")
    if target.kind == "version":
        raise InvalidParameter("a registered model version is immutable; its files stay")
    if target.kind == "logged_model":
        raise InvalidParameter(
            "a logged model's files are not deleted one by one; delete the logged model")
    s.tracking.delete_run_artifacts(who, target.key, target.path)
    return {}


@router.get("/api/2.0/mlflow/artifacts/list")
def list_run_artifacts(args: dict[str, Any] = Depends(mlflow_args), s: Services = Depends(services),
                       who: Principal = Depends(principal)) -> dict[str, Any]:
    """The tracking API's listing (for clients that do not use the proxy): paths are
    relative to the run's artifact root."""
    run = s.tracking.get_run(who, need_str(args, "run_id") if "run_id" in args
                             else need_str(args, "run_uuid"))
    path = (get_str(args, "path", "") or "").strip("/")
    root = f"{run.experiment_id}/{run.run_id}/artifacts"
    entries = s.tracking.list_run_artifacts(who, run.run_id, path)
    return {"root_uri": f"mlflow-artifacts:/{root}",
            "files": [{"path": e["path"], "is_dir": e["is_dir"],
                       **({} if e["is_dir"] else {"file_size": e["size"]})} for e in entries]}
