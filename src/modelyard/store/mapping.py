"""Rows to records: the one place per table where a stored row becomes a domain record.

Version rows are read with their model's name (``model_name``), model rows with their
project's name (``project``), dataset version rows with their dataset's name
(``dataset_name``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sqlalchemy import Result, Row, RowMapping

from modelyard.domain.assembly import assembled
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


# The columns of a version row, in the order of VersionRecord's fields.
_VERSION_COLUMNS = ("id", "model_id", "model_name", "version", "status", "stage",
                    "description", "source", "run_id", "flavor", "signature", "metrics",
                    "size", "file_count", "created_at", "updated_at", "created_by",
                    "updated_by", "deleted_at")


def version_records(result: Result[Any]) -> list[VersionRecord]:
    """Every row of ``result`` (version rows with their model's name) as a record.  The
    columns' positions are found by name once per set of column names (a query's) and
    each row is read by position: a RowMapping's lookup by name, nineteen a row, was
    half of turning a page of 100 versions into records."""
    read = _version_reader(result)
    return [read(row) for row in result]


def first_version_record(result: Result[Any]) -> VersionRecord | None:
    """The first row of ``result`` as :func:`version_records` reads it, or None."""
    read = _version_reader(result)
    row = result.first()
    return None if row is None else read(row)


# The positions of _VERSION_COLUMNS by a result's column names (a few queries' worth).
_PICKS: dict[tuple[str, ...], Callable[[Row[Any]], tuple[Any, ...]]] = {}


def _version_reader(result: Result[Any]) -> Callable[[Row[Any]], VersionRecord]:
    keys = tuple(result.keys())
    pick = _PICKS.get(keys)
    if pick is None:
        pick = _PICKS[keys] = itemgetter(*(keys.index(k) for k in _VERSION_COLUMNS))

    def read(row: Row[Any]) -> VersionRecord:
        (i, mid, name, v, status, stage, description, source, run_id, flavor, signature,
         metrics, size, file_count, created_at, updated_at, created_by, updated_by,
         deleted_at) = pick(row)
        return assembled(VersionRecord, {
            "id": int(i), "model_id": int(mid), "model": name, "version": int(v),
            "status": status, "stage": stage, "description": description,
            "source": source, "run_id": run_id, "flavor": flavor,
            "signature": _json(signature), "metrics": _json(metrics) or {},
            "size": int(size), "file_count": int(file_count), "created_at": created_at,
            "updated_at": updated_at, "created_by": created_by,
            "updated_by": updated_by, "deleted_at": deleted_at})
    return read


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
