"""Tracking behaviour written once over the operations of ``contract.py``: logging
files as run artifacts, logging a model folder and registering it from the run,
datasets with a profile, iterating pages, comparing runs."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from modelyard.client.contract import Progress
from modelyard.client.hashing import scan
from modelyard.client.transfer import Transfers
from modelyard.domain.entities import DatasetVersion, FileEntry, Metric, ModelVersion, Run
from modelyard.errors import DigestMismatch, NotFound

NOTE_TAG = "mlflow.note.content"


class TrackingClientMixin(Transfers):
    # -- shared helpers over the primitives -------------------------------------------
    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        self.log_batch(run_id, params=list(params.items()))

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int = 0,
                    timestamp: int | None = None) -> None:
        self.log_batch(run_id, metrics=[
            {"key": k, "value": v, "step": step, "timestamp": timestamp}
            for k, v in metrics.items()])

    def set_run_tags(self, run_id: str, tags: dict[str, str]) -> None:
        self.log_batch(run_id, tags=list(tags.items()))

    def set_run_note(self, run_id: str, text: str) -> None:
        """The run's notes (the ``mlflow.note.content`` tag, which MLflow's UI shows)."""
        self.set_run_tag(run_id, NOTE_TAG, text)

    def set_experiment_note(self, experiment_id: str, text: str) -> None:
        self.set_experiment_tag(experiment_id, NOTE_TAG, text)

    def iter_metric_history(self, run_id: str, key: str,
                            page_size: int = 25_000) -> Iterator[Metric]:
        token = None
        while True:
            page = self.get_metric_history(run_id, key, page_size, token)
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    def iter_runs(self, experiment_ids: list[str], filter: str | None = None,
                  order_by: list[str] | None = None, page_size: int = 1000) -> Iterator[Run]:
        token = None
        while True:
            page = self.search_runs(experiment_ids, filter, order_by, page_size, token)
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    def log_artifacts(self, run_id: str, local_path: str | os.PathLike[str],
                      artifact_path: str | None = None) -> list[FileEntry]:
        """Upload a file or a folder's contents as run artifacts under ``artifact_path``
        (hashed locally; only missing blobs are sent)."""
        files = scan(local_path)
        self.upload_files(files)
        return self.add_run_artifacts(run_id, [e for e, _ in files],
                                      (artifact_path or "").strip("/"))

    log_artifact = log_artifacts

    def download_run_artifacts(self, run_id: str, path: str = "",
                               dest: str | os.PathLike[str] = ".") -> Path:
        """Download the artifacts under ``path`` into ``dest`` (verified by sha256)."""
        return self.fetch_files(self.run_artifact_files(run_id, path), dest)

    def read_run_artifact(self, run_id: str, path: str) -> bytes:
        return b"".join(self.iter_run_artifact(run_id, path))

    # -- datasets ---------------------------------------------------------------------
    def get_dataset_ref(self, ref: str, files: bool = True) -> DatasetVersion:
        """A dataset version by reference: ``name/3``, ``name@latest``, ``name``."""
        from modelyard.domain.datasets import parse_dataset_ref

        return self.get_dataset_version(*parse_dataset_ref(ref), files=files)

    def download_dataset(self, ref: str, dest: str | os.PathLike[str],
                         progress: Progress | None = None) -> Path:
        """Download every file of a dataset version (``name/3``, ``name@latest``) under
        ``dest``, several at once; each file is verified against its sha256 and
        appears only when complete."""
        return self.fetch_files(self.get_dataset_ref(ref).files or [], dest, progress)

    def iter_dataset_file(self, ref: str, path: str) -> Iterator[bytes]:
        """The bytes of one file of a dataset version, hashed as they pass: a file
        whose bytes do not match its sha256 ends in :class:`DigestMismatch`."""
        dv = self.get_dataset_ref(ref)
        entry = next((f for f in dv.files or [] if f.path == path.strip("/")), None)
        if entry is None:
            raise NotFound(f"dataset version {dv.ref} has no file {path!r}")
        return _verified(self.iter_blob(entry.sha256), entry)

    def read_dataset_file(self, ref: str, path: str) -> bytes:
        return b"".join(self.iter_dataset_file(ref, path))

    def log_model_dir(self, run_id: str, local_path: str | os.PathLike[str], name: str,
                      artifact_path: str | None = None, **fields: Any) -> ModelVersion:
        """Upload a model folder as run artifacts, then register it from the run."""
        artifact_path = artifact_path or Path(local_path).name
        self.log_artifacts(run_id, local_path, artifact_path)
        return self.register_run_model(name, run_id, artifact_path, **fields)

    def log_dataset(self, path: str | os.PathLike[str], name: str, *,
                    run_id: str | None = None, context: str = "training",
                    description: str = "", tags: dict[str, str] | None = None,
                    profile: bool = True, progress: Progress | None = None,
                    hash_progress: Progress | None = None) -> DatasetVersion:
        """Register a file or folder as a dataset version (digests of every file, and
        for CSV/Parquet the schema, row count and column statistics); with ``run_id``
        the run records that it read it."""
        from modelyard.client.profile import profile_files

        files = scan(path, hash_progress)
        self.upload_files(files, progress)
        prof = profile_files(files) if profile else None
        dv = self.create_dataset_version(
            name, [e for e, _ in files], profile=prof, source=f"file:{Path(path).name}",
            source_type="local", description=description, tags=tags or {})
        if run_id:
            self.log_inputs(run_id, [{"name": dv.name, "version": dv.version,
                                      "context": context}])
        return dv

    def compare_runs(self, run_ids: list[str], *, all_values: bool = False) -> dict[str, Any]:
        """Params and latest metrics side by side; by default only the keys whose values
        differ between the runs."""
        runs = [self.get_run(r) for r in run_ids]

        def table(attr: str) -> dict[str, list[Any]]:
            keys = sorted(set().union(*(getattr(r, attr).keys() for r in runs)))
            out = {}
            for k in keys:
                values = [getattr(r, attr).get(k) for r in runs]
                same = len({repr(v) for v in values}) == 1
                if all_values or not same:
                    out[k] = values
            return out

        return {"runs": [{"run_id": r.run_id, "run_name": r.run_name, "status": r.status}
                         for r in runs],
                "params": table("params"), "metrics": table("metrics")}


def _verified(chunks: Iterator[bytes], entry: FileEntry) -> Iterator[bytes]:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
        yield chunk
    if h.hexdigest() != entry.sha256:
        raise DigestMismatch(f"{entry.path!r} does not match its sha256")
