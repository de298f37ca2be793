"""``tx.tracking``: experiments, runs, params, metrics, run tags, run artifacts and run
inputs, one SQL module each."""

from __future__ import annotations

from sqlalchemy import select

from modelyard.store.experiments_repo import ExperimentsRepo
from modelyard.store.metrics_repo import MetricsRepo
from modelyard.store.runs_repo import RunsRepo
from modelyard.store.schema_tracking import dataset_files, run_artifacts
from modelyard.store.tracking_sql import decode_value, encode_value, path_hash


class TrackingRepo(ExperimentsRepo, RunsRepo, MetricsRepo):
    def referenced_digests(self) -> set[str]:
        """Digests of run artifacts and dataset files (for garbage collection)."""
        out = set(self.conn.execute(select(run_artifacts.c.sha256).distinct()).scalars())
        out |= set(self.conn.execute(select(dataset_files.c.sha256).distinct()).scalars())
        return out


__all__ = ["TrackingRepo", "decode_value", "encode_value", "path_hash"]
