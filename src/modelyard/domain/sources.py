"""Registering a version from what is already stored: a run's artifacts, an MLflow
logged model's files, another version.  The new version's manifest points at the same
blobs, nothing is copied.  This is the one place the rule lives; the SDK (both
transports) and the MLflow adapter call it.

Sources are ``runs:/<run_id>/<path>``, ``models:/m-<id>`` (a logged model),
``models:/<name>/<version>`` or ``models:/<name>@<alias>``; an adapter with its own
path syntax (MLflow's ``mlflow-artifacts:`` paths) parses it into an
:class:`ArtifactSource`.  Any other source (``s3://...``, a local path) is recorded as
given and never fetched, so the version has no files.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from modelyard.domain.entities import FileEntry, ModelVersion, Principal
from modelyard.domain.logged_models import LoggedModelService
from modelyard.domain.mlmodel import flavor_of
from modelyard.domain.prompts import PROMPT_SOURCES, is_prompt
from modelyard.domain.refs import parse_ref
from modelyard.domain.registry import RegistryService
from modelyard.domain.roles import Permission
from modelyard.domain.tracking import TrackingService
from modelyard.domain.validation import check_relpath
from modelyard.errors import AlreadyExists, InvalidParameter, NotFound

_LOGGED_MODEL = re.compile(r"^models:/(m-[0-9a-f]{32})/?$")


def logged_model_id_of(source: str) -> str | None:
    """The logged model a ``models:/m-<id>`` source names, else None."""
    m = _LOGGED_MODEL.match(source or "")
    return m.group(1) if m else None


@dataclass(frozen=True)
class ArtifactSource:
    """Stored files a version can be registered from: a run's artifacts, a logged
    model's files or a registered version's manifest, under ``path``."""

    kind: str  # "run" | "logged_model" | "version"
    key: str  # run id, logged model id, or model name
    path: str = ""  # inside the target; "" is its root
    version: int | None = None
    experiment_id: str | None = None


def relative_to(files: list[FileEntry], prefix: str) -> list[FileEntry]:
    """The files under ``prefix`` with paths relative to it (a model directory); a
    prefix naming one file gives that file under its base name."""
    if not prefix:
        return files
    cut = len(prefix) + 1
    out = []
    for f in files:
        if f.path == prefix:
            out.append(FileEntry(f.path.rsplit("/", 1)[-1], f.size, f.sha256))
        elif f.path.startswith(prefix + "/"):
            out.append(FileEntry(f.path[cut:], f.size, f.sha256))
    return out


class SourceService:
    def __init__(self, registry: RegistryService, tracking: TrackingService,
                 logged_models: LoggedModelService) -> None:
        self.registry = registry
        self.tracking = tracking
        self.logged_models = logged_models

    # -- uploads to a source -----------------------------------------------------------
    def check_upload_target(self, actor: Principal, src: ArtifactSource) -> None:
        """Before any byte of an upload is received: the run or logged model exists for
        the actor, is the one of the experiment its path names, and takes files (an
        active run; a PENDING logged model).  Write permission is checked again, as
        always, when the files are added."""
        missing = NotFound(f"Run '{src.key}' not found" if src.kind == "run"
                           else f"Logged model with ID '{src.key}' not found.")
        if src.kind == "run":
            run = self.tracking.get_run(actor, src.key, tags_only=True)
            if src.experiment_id is not None and run.experiment_id != src.experiment_id:
                raise missing
            if run.lifecycle_stage == "deleted":
                raise InvalidParameter(f"run {src.key!r} is deleted; restore it before "
                                       "writing to it")
        elif src.kind == "logged_model":
            model = self.logged_models.get(actor, src.key)
            if src.experiment_id is not None and model.experiment_id != src.experiment_id:
                raise missing
            if model.status != "PENDING":
                raise InvalidParameter(f"logged model {src.key} is {model.status}; its "
                                       "files can no longer change")
        else:
            raise InvalidParameter("a registered model version is immutable; register a "
                                   "new one")

    # -- files of a source ------------------------------------------------------------
    def files(self, actor: Principal, src: ArtifactSource, prefix: str = "") -> list[FileEntry]:
        """Files under ``prefix`` of the source, with paths relative to its root."""
        if src.kind == "run":
            return self.tracking.run_artifact_files(actor, src.key, prefix)
        if src.kind == "logged_model":
            return self.logged_models.files(actor, src.key, prefix)
        v = self.registry.get_version(actor, src.key, src.version or 0, with_files=True)
        return [f for f in v.files or []
                if not prefix or f.path == prefix or f.path.startswith(prefix + "/")]

    def entry(self, actor: Principal, src: ArtifactSource) -> FileEntry:
        """The one file ``src.path`` names."""
        if not src.path:
            raise NotFound("no file at the root of an artifact folder")
        if src.kind == "run":
            return self.tracking.run_artifact_entry(actor, src.key, src.path)
        if src.kind == "logged_model":
            return self.logged_models.file_entry(actor, src.key, src.path)
        return self.registry.file_entry(actor, f"{src.key}/{src.version}", src.path)

    def manifest(self, actor: Principal, source: str | ArtifactSource,
                 model_id: str | None = None) -> tuple[list[FileEntry], str | None]:
        """The manifest a version registered from ``source`` gets, and the run that
        produced it (MLflow 3 registers ``models:/m-<id>`` without a run id, or names
        the logged model in ``model_id``; the logged model knows its run)."""
        if isinstance(source, ArtifactSource):
            files = relative_to(self.files(actor, source, source.path), source.path)
            return files, source.key if source.kind == "run" else None
        logged = logged_model_id_of(source)
        if logged is None and model_id and not source.startswith(("runs:/", "models:/",
                                                                "mlflow-artifacts:")):
            logged = logged_model_id_of(f"models:/{model_id}")
        if logged:
            return (self.logged_models.files(actor, logged),
                    self.logged_models.get(actor, logged).source_run_id)
        if source.startswith("runs:/"):
            run_id, _, path = source[len("runs:/"):].strip("/").partition("/")
            if not run_id:
                raise InvalidParameter(f"invalid source {source!r}; use runs:/<run_id>/<path>")
            # A run of another tracking server (MLflow's registry_uri may differ from its
            # tracking_uri), or one the actor may not read: the reference is kept, no
            # file is resolved.  The file listing reads the run under the same rule as
            # get_run, so it says so itself (no whole run read first: five queries).
            try:
                return self._run_files(actor, run_id, path), run_id
            except NotFound:
                return [], run_id
            except InvalidParameter:
                try:  # an unknown run wins over a bad path, as it always has
                    self.tracking.get_run(actor, run_id)
                except NotFound:
                    return [], run_id
                raise
        if source.startswith("models:/"):
            v = self.registry.resolve(actor, parse_ref(source), with_files=True)
            if is_prompt(self.registry.get_model(actor, v.model).tags):
                raise InvalidParameter(f"Invalid model version source: '{source}'. Prompt "
                                       "versions cannot be used as model version sources.")
            return list(v.files or []), v.run_id
        return [], None

    def _run_files(self, actor: Principal, run_id: str, path: str) -> list[FileEntry]:
        path = path.strip("/")
        if path:
            check_relpath(path)
        return relative_to(self.tracking.run_artifact_files(actor, run_id, path), path)

    # -- registering ------------------------------------------------------------------
    def register_from_run(self, actor: Principal, name: str, run_id: str,
                          artifact_path: str, *, create_model: bool = True,
                          **fields: Any) -> ModelVersion:
        """Register the run artifacts under ``artifact_path`` as the next version of
        ``name``.  The run must have artifacts there; unless given, the version's
        metrics are the run's (finite) latest metrics and its source
        ``runs:/<run_id>/<artifact_path>``."""
        prefix = artifact_path.strip("/")
        files = self._run_files(actor, run_id, prefix)
        if not files:
            raise InvalidParameter(f"run {run_id} has no artifacts under {artifact_path!r}")
        if fields.get("metrics") is None:
            run = self.tracking.get_run(actor, run_id)
            fields["metrics"] = {k: v for k, v in run.metrics.items() if math.isfinite(v)}
        fields.setdefault("source", f"runs:/{run_id}/{prefix}")
        fields["run_id"] = run_id
        return self._register(actor, name, files, create_model, fields)

    def register_from_source(self, actor: Principal, name: str, source: str, *,
                             origin: ArtifactSource | None = None,
                             model_id: str | None = None, run_id: str | None = None,
                             create_model: bool = False, **fields: Any) -> ModelVersion:
        """Register ``source`` as the next version of ``name`` (MLflow's
        create-model-version): its files are the manifest of what it names (``origin``
        when the caller parsed it already), none for a source stored elsewhere; the
        run is ``run_id`` or the one that produced the source."""
        if is_prompt(fields.get("tags") or {}):
            if source not in PROMPT_SOURCES:
                raise InvalidParameter(f"Invalid prompt source: '{source}'. Prompt sources "
                                       "must use an MLflow placeholder.")
            fields.update(source=source, run_id=run_id)
            return self._register(actor, name, [], create_model, fields)
        files, source_run = self.manifest(actor, origin or source, model_id)
        fields["source"] = source
        fields["run_id"] = run_id or source_run
        if fields.get("flavor") is None and files:  # MLflow's request names none
            fields["flavor"] = flavor_of(self.registry.blobs, files)
        # The logged model the version comes from gets the version in its
        # ``mlflow.modelVersions`` tag (MLflow's server does this for a ``model_id``).
        logged = (logged_model_id_of(f"models:/{model_id}") if model_id
                  else logged_model_id_of(source))
        if logged is None and origin is not None and origin.kind == "logged_model":
            logged = origin.key
        if logged:
            # Tagging the logged model changes it: write access on it, as for its metrics.
            self.tracking._require_logged_models(actor, Permission.WRITE, [logged])  # noqa: SLF001
            fields["logged_model"] = logged
        return self._register(actor, name, files, create_model, fields)

    def _register(self, actor: Principal, name: str, files: list[FileEntry],
                  create_model: bool, fields: dict[str, Any]) -> ModelVersion:
        if create_model:
            try:
                self.registry.create_model(actor, name)
            except AlreadyExists:
                pass
        return self.registry.create_version(actor, name, files, **fields)
