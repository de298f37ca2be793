"""What DVC records at a commit: an output's md5 (from its ``.dvc`` file or
``dvc.lock``), the stage of ``dvc.lock`` that produced it, and the bytes behind an md5
(the project's DVC remote on the registry first, else the local DVC cache)."""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modelyard.client.base import BaseClient
from modelyard.domain.entities import FileEntry
from modelyard.dvcsync.gitrepo import GitRepo, SyncError


@dataclass(frozen=True)
class Out:
    """A DVC-tracked file or folder: its path and md5 (``.dir`` for a folder)."""

    path: str
    md5: str
    size: int | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    cmd: str
    deps: list[Out] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    outs: list[Out] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)


def _yaml(text: str, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise SyncError(f"{what} is not valid YAML") from None


def _out(entry: Any, base: str, what: str) -> Out:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise SyncError(f"{what}: an entry has no path")
    md5 = entry.get("md5")
    if not isinstance(md5, str) or not md5:
        raise SyncError(f"{what}: {entry['path']!r} has no md5")
    size = entry.get("size")
    return Out(posixpath.normpath(posixpath.join(base, entry["path"])), md5,
               size if isinstance(size, int) else None)


def lock_stages(repo: GitRepo, commit: str) -> list[Stage]:
    text = repo.show(commit, "dvc.lock")
    if text is None:
        return []
    data = _yaml(text, f"dvc.lock at {commit[:8]}") or {}
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        raise SyncError(f"dvc.lock at {commit[:8]} has no stages mapping")
    pipeline = _yaml(repo.show(commit, "dvc.yaml") or "", "dvc.yaml") or {}
    declared = pipeline.get("stages", {}) if isinstance(pipeline, dict) else {}
    out = []
    for name, spec in stages.items():
        what = f"dvc.lock stage {name!r} at {commit[:8]}"
        if not isinstance(spec, dict):
            raise SyncError(f"{what} must be a mapping")
        cmd = spec.get("cmd", "")
        cmd = " && ".join(cmd) if isinstance(cmd, list) else str(cmd)
        params: dict[str, Any] = {}
        for _file, values in (spec.get("params") or {}).items():
            if isinstance(values, dict):
                params.update(_flatten(values))
        metrics = []
        stage_decl = declared.get(name, {}) if isinstance(declared, dict) else {}
        for m in (stage_decl.get("metrics") or []) if isinstance(stage_decl, dict) else []:
            metrics.append(next(iter(m)) if isinstance(m, dict) else str(m))
        out.append(Stage(name=str(name), cmd=cmd, params=params, metrics=metrics,
                         deps=[_out(d, "", what) for d in spec.get("deps") or []],
                         outs=[_out(o, "", what) for o in spec.get("outs") or []]))
    return out


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def find_out(repo: GitRepo, commit: str, path: str,
             stages: list[Stage]) -> tuple[Out, Stage | None]:
    """The output ``path`` at ``commit``: from ``<path>.dvc``, else a ``dvc.lock`` stage."""
    text = repo.show(commit, f"{path}.dvc")
    if text is not None:
        what = f"{path}.dvc at {commit[:8]}"
        data = _yaml(text, what)
        outs = data.get("outs") if isinstance(data, dict) else None
        if not isinstance(outs, list) or not outs:
            raise SyncError(f"{what} has no outs")
        return _out(outs[0], posixpath.dirname(path), what), None
    for stage in stages:
        for o in stage.outs:
            if o.path == path:
                return o, stage
    raise SyncError(f"{path!r} at {commit[:8]} is tracked by neither a .dvc file nor dvc.lock")


def metrics_at(repo: GitRepo, commit: str, stage: Stage) -> dict[str, float]:
    out: dict[str, float] = {}
    for path in stage.metrics:
        text = repo.show(commit, path)
        if text is None:
            continue
        data = _yaml(text, f"metrics file {path} at {commit[:8]}")
        if isinstance(data, dict):
            for k, v in _flatten(data).items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out[k] = float(v)
    return out


class Objects:
    """Bytes behind DVC md5s, as registry blobs: referenced where the project's remote
    holds them, else hashed from the local DVC cache and uploaded when missing."""

    def __init__(self, client: BaseClient, project: str, repo: GitRepo) -> None:
        self.client = client
        self.project = project
        self.cache = repo.path / ".dvc" / "cache" / "files" / "md5"
        self.known: dict[str, tuple[str, int]] = {}
        self.uploads: list[tuple[FileEntry, Path]] = []

    def _cached(self, oid: str) -> Path:
        return self.cache / oid[:2] / oid[2:]

    def prefetch(self, oids: list[str]) -> None:
        todo = [o for o in dict.fromkeys(oids) if o not in self.known]
        if todo:
            self.known.update(self.client.dvc_objects(self.project, todo))

    def entry(self, oid: str, path: str) -> FileEntry:
        self.prefetch([oid])
        if oid in self.known:
            sha, size = self.known[oid]
            return FileEntry(path, size, sha)
        local = self._cached(oid)
        if not local.is_file():
            raise SyncError(f"object {oid} ({path}) is neither in the project's DVC remote "
                            "nor in the local DVC cache: dvc push or dvc pull first")
        sha256 = hashlib.sha256()
        with open(local, "rb") as fh:
            while chunk := fh.read(1 << 20):
                sha256.update(chunk)
        entry = FileEntry(path, local.stat().st_size, sha256.hexdigest())
        self.known[oid] = (entry.sha256, entry.size)
        self.uploads.append((entry, local))
        return entry

    def _listing(self, oid: str) -> list[dict[str, Any]]:
        self.prefetch([oid])
        if oid in self.known:
            raw = b"".join(self.client.iter_blob(self.known[oid][0]))
        elif self._cached(oid).is_file():
            raw = self._cached(oid).read_bytes()
        else:
            raise SyncError(f"the listing {oid} is neither in the project's DVC remote nor "
                            "in the local DVC cache: dvc push or dvc pull first")
        try:
            listing = json.loads(raw)
        except ValueError:
            raise SyncError(f"the directory listing {oid} is not JSON") from None
        if not isinstance(listing, list):
            raise SyncError(f"the directory listing {oid} is not a list")
        return [e for e in listing if isinstance(e, dict)]

    def files(self, out: Out, root: str) -> list[FileEntry]:
        """The files of ``out`` as manifest entries, paths under ``root``."""
        if not out.md5.endswith(".dir"):
            return [self.entry(out.md5, root)]
        listing = self._listing(out.md5)
        self.prefetch([str(e.get("md5")) for e in listing])
        entries = []
        for e in listing:
            rel, md5 = e.get("relpath"), e.get("md5")
            if not isinstance(rel, str) or not isinstance(md5, str):
                raise SyncError(f"the directory listing {out.md5} has a malformed entry")
            entries.append(self.entry(md5, posixpath.join(root, rel) if root else rel))
        return entries

    def upload_missing(self) -> int:
        """Send the blobs hashed from the local cache that the registry lacks."""
        if not self.uploads:
            return 0
        sent = self.client.upload_files(self.uploads)
        self.uploads = []
        return sent
