"""MLflow's artifact paths and model sources, resolved to manifests.

Artifact paths (``mlflow-artifacts:/<path>``, assigned by this server, never read
from a client-named location):

- ``<experiment_id>/<run_id>/artifacts/<file>``: a run's artifacts;
- ``<experiment_id>/models/<model_id>/artifacts/<file>``: a logged model's files;
- ``model-versions/<name>/<version>/<file>``: a registered version's manifest
  (what ``get-download-uri`` hands out; read-only).

A version's ``source`` (``models:/m-<id>``, ``runs:/<run_id>/<path>``,
``models:/<name>/<version>``, or one of the paths above) becomes the manifest of the
new version: the same blobs, nothing copied.  Any other source (``s3://...``, a local
path) is recorded as given and never fetched, so the version has no files.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.refs import parse_ref
from modelyard.domain.validation import check_int, check_relpath, is_ascii_int
from modelyard.errors import InvalidParameter, NotFound
from modelyard.server.mlflow_compat.translate import VERSIONS_PREFIX, logged_model_id_of
from modelyard.services import Services


@dataclass(frozen=True)
class ArtifactTarget:
    kind: str  # "run" | "logged_model" | "version"
    key: str  # run id, logged model id, or model name
    path: str = ""  # inside the target; "" is its root
    version: int | None = None
    experiment_id: str | None = None


def parse_artifact_path(raw: str) -> ArtifactTarget | None:
    """The target an artifact path names, or None when it names none (a listing of
    something above a run or model root, which is empty)."""
    parts = [p for p in (raw or "").split("/") if p]
    target: ArtifactTarget | None = None
    if len(parts) >= 3 and parts[0] == VERSIONS_PREFIX:
        if not is_ascii_int(parts[2]):
            raise NotFound(f"no artifact {raw!r}")
        target = ArtifactTarget("version", parts[1], "/".join(parts[3:]), check_int(parts[2], "version"))
    elif len(parts) >= 4 and parts[0].isdigit() and parts[1] == "models" and parts[3] == "artifacts":
        target = ArtifactTarget("logged_model", parts[2], "/".join(parts[4:]),
                                experiment_id=parts[0])
    elif len(parts) >= 3 and parts[0].isdigit() and parts[2] == "artifacts":
        target = ArtifactTarget("run", parts[1], "/".join(parts[3:]), experiment_id=parts[0])
    if target is not None and target.path:
        check_relpath(target.path)
    return target


def target_files(s: Services, who: Principal, t: ArtifactTarget,
                 prefix: str = "") -> list[FileEntry]:
    """Files under ``prefix`` of the target, with paths relative to the target."""
    if t.kind == "run":
        files = s.tracking.run_artifact_files(who, t.key, prefix)
    elif t.kind == "logged_model":
        files = s.logged_models.files(who, t.key, prefix)
    else:
        v = s.registry.get_version(who, t.key, t.version or 0, with_files=True)
        files = [f for f in v.files or []
                 if not prefix or f.path == prefix or f.path.startswith(prefix + "/")]
    return files


def target_entry(s: Services, who: Principal, t: ArtifactTarget) -> FileEntry:
    if not t.path:
        raise NotFound("no file at the root of an artifact folder")
    if t.kind == "run":
        return s.tracking.run_artifact_entry(who, t.key, t.path)
    if t.kind == "logged_model":
        return s.logged_models.file_entry(who, t.key, t.path)
    return s.registry.file_entry(who, f"{t.key}/{t.version}", t.path)


def _relative(files: list[FileEntry], prefix: str) -> list[FileEntry]:
    """The files under ``prefix`` with paths relative to it (a model directory)."""
    if not prefix:
        return files
    cut = len(prefix) + 1
    return [FileEntry(f.path[cut:], f.size, f.sha256) for f in files
            if f.path.startswith(prefix + "/")]


def resolve_source(s: Services, who: Principal, source: str,
                   model_id: str | None = None) -> tuple[list[FileEntry], str | None]:
    """The manifest a version registered from ``source`` gets, and the run that
    produced it (MLflow 3 registers ``models:/m-<id>`` without a run id; the logged
    model knows its run)."""
    logged = logged_model_id_of(source)
    if logged is None and model_id and not source.startswith(("runs:/", "models:/",
                                                                "mlflow-artifacts:")):
        logged = logged_model_id_of(f"models:/{model_id}")
    if logged:
        return (s.logged_models.files(who, logged),
                s.logged_models.get(who, logged).source_run_id)
    if source.startswith("runs:/"):
        run_id, _, path = source[len("runs:/"):].strip("/").partition("/")
        if not run_id:
            raise InvalidParameter(f"invalid source {source!r}; use runs:/<run_id>/<path>")
        if path:
            check_relpath(path)
        return _relative(s.tracking.run_artifact_files(who, run_id, path), path), run_id
    if source.startswith("models:/"):
        v = s.registry.resolve(who, parse_ref(source), with_files=True)
        return list(v.files or []), v.run_id
    if source.startswith("mlflow-artifacts:"):
        target = parse_artifact_path(urlparse(source).path)
        if target is None:
            raise InvalidParameter(f"source {source!r} names no run, logged model or version")
        files = _relative(target_files(s, who, target, target.path), target.path)
        return files, target.key if target.kind == "run" else None
    return [], None
