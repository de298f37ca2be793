"""Rows to records: the one place per table where a stored row becomes a domain record.

Version rows are read with their model's name (``model_name``), model rows with their
project's name (``project``), dataset version rows with their dataset's name
(``dataset_name``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import RowMapping

from modelyard.domain.records import (
    DatasetRecord,
    DatasetVersionRecord,
    ExperimentRecord,
    LoggedModelRecord,
    ModelRecord,
    RunRecord,
    VersionRecord,
)


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def model_record(r: RowMapping) -> ModelRecord:
    return ModelRecord(
        id=int(r["id"]), name=r["name"], project_id=int(r["project_id"]), project=r["project"],
        description=r["description"], created_at=r["created_at"], updated_at=r["updated_at"],
        created_by=r["created_by"], updated_by=r["updated_by"], deleted=r["deleted_id"] != 0)


def version_record(r: RowMapping) -> VersionRecord:
    return VersionRecord(
        id=int(r["id"]), model_id=int(r["model_id"]), model=r["model_name"],
        version=int(r["version"]), status=r["status"], stage=r["stage"],
        description=r["description"], source=r["source"], run_id=r["run_id"],
        flavor=r["flavor"], signature=_json(r["signature"]), metrics=_json(r["metrics"]) or {},
        size=int(r["size"]), file_count=int(r["file_count"]), created_at=r["created_at"],
        updated_at=r["updated_at"], created_by=r["created_by"], updated_by=r["updated_by"],
        deleted_at=r["deleted_at"])


def experiment_record(r: RowMapping) -> ExperimentRecord:
    return ExperimentRecord(
        id=int(r["id"]), name=r["name"], artifact_location=r["artifact_location"],
        lifecycle_stage=r["lifecycle_stage"], created_at=r["created_at"],
        updated_at=r["updated_at"])


def run_record(r: RowMapping) -> RunRecord:
    return RunRecord(
        id=int(r["id"]), run_uuid=r["run_uuid"], experiment_id=int(r["experiment_id"]),
        name=r["name"], status=r["status"], start_time=r["start_time"],
        end_time=r["end_time"], user_id=r["user_id"], lifecycle_stage=r["lifecycle_stage"],
        parent_run_uuid=r["parent_run_uuid"], deleted_at=r["deleted_at"])


def dataset_record(r: RowMapping) -> DatasetRecord:
    return DatasetRecord(id=int(r["id"]), name=r["name"], description=r["description"],
                         created_at=r["created_at"], created_by=r["created_by"])


def dataset_version_record(r: RowMapping) -> DatasetVersionRecord:
    return DatasetVersionRecord(
        id=int(r["id"]), dataset_id=int(r["dataset_id"]), name=r["dataset_name"],
        version=int(r["version"]), digest=r["digest"], source=r["source"],
        source_type=r["source_type"], description=r["description"],
        profile=_json(r["profile"]), tags=_json(r["tags"]) or {}, size=int(r["size"]),
        file_count=int(r["file_count"]), created_at=r["created_at"],
        created_by=r["created_by"])


def logged_model_record(r: RowMapping) -> LoggedModelRecord:
    return LoggedModelRecord(
        id=int(r["id"]), model_id=r["model_id"], experiment_id=r["experiment_id"],
        name=r["name"], source_run_id=r["source_run_id"], model_type=r["model_type"],
        status=r["status"], params=_json(r["params"]) or {}, created_at=r["created_at"],
        updated_at=r["updated_at"], created_by=r["created_by"])
