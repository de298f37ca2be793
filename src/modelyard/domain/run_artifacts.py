"""Run artifacts: a run's files as a manifest over the blob store (path -> digest).

Deleting a run's artifacts removes the run's entries only: blobs are content-addressed
and shared (a version registered from the run points at the same ones), so no byte is
deleted here; ``modelyard gc`` reclaims blobs that no manifest references any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.manifests import check_blobs_present, list_folder
from modelyard.domain.tracking_base import TrackingBase
from modelyard.domain.validation import check_manifest, check_relpath
from modelyard.errors import NotFound


@ev._payload(ev.E.RUN_ARTIFACTS_DELETED)
@dataclass(frozen=True, slots=True)
class RunArtifactsDeleted(ev.Payload):
    files: int
    size: int
    path: str


class RunArtifactOps(TrackingBase):
    def add_run_artifacts(self, actor: Principal, run_id: str, files: list[FileEntry],
                          prefix: str = "") -> list[FileEntry]:
        """Attach blobs already in the blob store as run artifacts under ``prefix``;
        a path that exists is replaced."""
        prefix = prefix.rstrip("/") if isinstance(prefix, str) else ""
        if prefix:
            check_relpath(prefix)
        entries = check_manifest(files)
        if prefix:
            entries = check_manifest([FileEntry(f"{prefix}/{f.path}", f.size, f.sha256)
                                      for f in entries])
        with self.store.write() as tx:
            check_blobs_present(tx, self.blobs, entries)
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            tx.tracking.put_artifacts(row.id, entries)
            ev.record(tx, now, actor,
                      ev.RunArtifactsAdded(len(entries), sum(f.size for f in entries), prefix),
                      "run", run_id)
        return entries

    def delete_run_artifacts(self, actor: Principal, run_id: str, path: str = "") -> int:
        """Remove the run's artifact ``path``: a file, or a folder with everything under
        it ("" is every artifact of the run).  A path the run does not have removes
        nothing (as MLflow's server answers).  Returns the number of files removed."""
        path = self._artifact_path(path)
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, lock=True)
            gone = tx.tracking.artifacts(row.id, path)
            if not gone:
                return 0
            tx.tracking.delete_artifacts(row.id, [f.path for f in gone])
            ev.record(tx, self.clock.now_ms(), actor,
                      RunArtifactsDeleted(len(gone), sum(f.size for f in gone), path),
                      "run", run_id)
        return len(gone)

    def _artifact_path(self, path: str) -> str:
        path = (path or "").rstrip("/")
        if path:
            check_relpath(path)
        return path

    def run_artifact_files(self, actor: Principal, run_id: str, prefix: str = "") -> list[FileEntry]:
        prefix = self._artifact_path(prefix)
        with self.store.read() as tx:
            files = tx.tracking.run_files(self._check_run_id(run_id), prefix)
        if files is None:
            raise NotFound(f"run {run_id!r} does not exist")
        return files

    def run_artifact_entry(self, actor: Principal, run_id: str, path: str) -> FileEntry:
        path = self._artifact_path(path)
        with self.store.read() as tx:
            row = self._run_row(tx, run_id)
            entry = tx.tracking.artifact(row.id, path) if path else None
        if entry is None:
            raise NotFound(f"run {run_id} has no artifact {path!r}")
        return entry

    def list_run_artifacts(self, actor: Principal, run_id: str, path: str = "") -> list[dict[str, Any]]:
        """One folder level under ``path``: files with their size, folders with None."""
        path = self._artifact_path(path)
        files = self.run_artifact_files(actor, run_id, path)
        if path and any(f.path == path for f in files):
            return []  # a file, not a folder
        return list_folder(files, path)
