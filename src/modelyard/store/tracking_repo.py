"""SQL for experiments, runs, params, metrics, run tags, run artifacts and run inputs."""

from __future__ import annotations

import hashlib
import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.entities import Experiment, FileEntry, Metric, Run
from modelyard.domain.records import ExperimentRecord, RunRecord
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.errors import AlreadyExists, Conflict
from modelyard.store.rows import inserted_id
from modelyard.store.filters import Resolver, compile_filter
from modelyard.store.mapping import experiment_record, run_record
from modelyard.store.schema_tracking import (
    dataset_files,
    dataset_versions,
    datasets,
    experiment_tags,
    experiments,
    latest_metrics,
    metrics,
    run_artifacts,
    run_inputs,
    run_params,
    run_tags,
    runs,
)

E, R, LM = experiments, runs, latest_metrics
MAX_FLOAT = sys.float_info.max

EXPERIMENT_COLUMNS = {
    "name": E.c.name,
    "experiment_id": E.c.id,
    "created_at": E.c.created_at,
    "updated_at": E.c.updated_at,
    "lifecycle_stage": E.c.lifecycle_stage,
}

RUN_COLUMNS = {
    "run_id": R.c.run_uuid,
    "run_name": R.c.name,
    "status": R.c.status,
    "start_time": R.c.start_time,
    "end_time": R.c.end_time,
    "user_id": R.c.user_id,
    "lifecycle_stage": R.c.lifecycle_stage,
    "parent_run_id": R.c.parent_run_uuid,
}


def encode_value(value: float) -> tuple[float, int]:
    """(stored value, kind): NaN and infinities in a form every database keeps."""
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return (MAX_FLOAT, 2) if value > 0 else (-MAX_FLOAT, 3)
    return value, 0


def decode_value(value: float, kind: int) -> float:
    if kind == 1:
        return math.nan
    if kind == 2:
        return math.inf
    if kind == 3:
        return -math.inf
    return float(value)


def _lifecycle(col: ColumnElement[Any], deleted: bool | None) -> ColumnElement[Any]:
    if deleted is None:
        return col.is_not(None)
    return col == ("deleted" if deleted else "active")


def path_hash(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()


class TrackingRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _put(self, table: Any, owner: dict[str, Any], rows: dict[Any, dict[str, Any]],
             key: str = "key") -> None:
        """Insert or update child rows of one owner (a run, an experiment) by key.

        The caller holds the owner's row lock, so reading the keys that exist and then
        inserting the others cannot race.  (An UPDATE of a missing key first would take
        a gap lock on MySQL, and two writers inserting into the same gap dead-lock.)"""
        if not rows:
            return
        conds = [table.c[k] == v for k, v in owner.items()]
        keys = list(rows)
        existing: set[Any] = set()
        for i in range(0, len(keys), 500):
            existing |= set(self.conn.execute(select(table.c[key]).where(
                *conds, table.c[key].in_(keys[i:i + 500]))).scalars())
        new = [{**owner, key: k, **v} for k, v in rows.items() if k not in existing]
        if new:
            self.conn.execute(insert(table), new)
        for k in existing:
            self.conn.execute(update(table).where(*conds, table.c[key] == k).values(**rows[k]))

    # -- experiments ------------------------------------------------------------------
    def _experiment(self, q: Any, lock: bool) -> ExperimentRecord | None:
        row = self.conn.execute(q.with_for_update() if lock else q).mappings().first()
        return None if row is None else experiment_record(row)

    def experiment(self, experiment_id: int, *, lock: bool = False) -> ExperimentRecord | None:
        return self._experiment(select(E).where(E.c.id == experiment_id), lock)

    def experiment_by_name(self, name: str, *, lock: bool = False) -> ExperimentRecord | None:
        return self._experiment(select(E).where(E.c.name == name), lock)

    def ensure_default(self, now: int) -> None:
        if self.experiment(0) is not None:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(E).values(
                    id=0, name="Default", artifact_location="", lifecycle_stage="active",
                    created_at=now, updated_at=now))
        except IntegrityError:  # created concurrently, or "Default" taken by a user
            pass

    def insert_experiment(self, name: str, artifact_location: str, now: int) -> int:
        """Ids are max + 1 (numeric strings, as MLflow's).  Creators queue on the row
        of the default experiment (which exists: ``ensure_default`` runs first), then
        read the highest id with a locking read, which sees the latest commit on every
        database."""
        self.conn.execute(update(E).where(E.c.id == 0).values(updated_at=E.c.updated_at))
        for _ in range(10):
            top = self.conn.execute(select(E.c.id).order_by(E.c.id.desc()).limit(1)
                                    .with_for_update()).scalar()
            new_id = max(int(top or 0), 0) + 1
            try:
                with self.conn.begin_nested():
                    self.conn.execute(insert(E).values(
                        id=new_id, name=name, artifact_location=artifact_location,
                        lifecycle_stage="active", created_at=now, updated_at=now))
                return new_id
            except IntegrityError:
                if self.experiment_by_name(name, lock=True) is not None:
                    raise AlreadyExists(f"experiment {name!r} already exists") from None
        raise Conflict("could not allocate an experiment id; retry")

    def _update_experiment(self, experiment_id: int, now: int, values: dict[str, Any]) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(update(E).where(E.c.id == experiment_id)
                                  .values(updated_at=now, **values))
        except IntegrityError:
            raise AlreadyExists(f"experiment {values.get('name')!r} already exists") from None

    def touch_experiment(self, experiment_id: int, now: int) -> None:
        """Mark updated; takes the row lock that orders writers on one experiment."""
        self._update_experiment(experiment_id, now, {})

    def rename_experiment(self, experiment_id: int, name: str, now: int) -> None:
        self._update_experiment(experiment_id, now, {"name": name})

    def set_experiment_lifecycle(self, experiment_id: int, stage: str,
                                 deleted_at: int | None, now: int) -> None:
        self._update_experiment(experiment_id, now,
                                {"lifecycle_stage": stage, "deleted_at": deleted_at})

    def set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None:
        self._put(experiment_tags, {"experiment_id": experiment_id}, {key: {"value": value}})

    def delete_experiment_tag(self, experiment_id: int, key: str) -> bool:
        res = self.conn.execute(delete(experiment_tags).where(
            experiment_tags.c.experiment_id == experiment_id, experiment_tags.c.key == key))
        return bool(res.rowcount)

    def experiment_entity(self, experiment: ExperimentRecord) -> Experiment:
        e = experiment
        tags = {k: v for k, v in self.conn.execute(
            select(experiment_tags.c.key, experiment_tags.c.value)
            .where(experiment_tags.c.experiment_id == e.id))}
        return Experiment(experiment_id=str(e.id), name=e.name,
                          artifact_location=e.artifact_location,
                          lifecycle_stage=e.lifecycle_stage, tags=tags,
                          created_at=e.created_at, updated_at=e.updated_at)

    def search_experiments(self, node: Node | None, order: list[OrderKey], offset: int,
                           limit: int, deleted: bool | None) -> list[Experiment]:
        q = select(E).where(_lifecycle(E.c.lifecycle_stage, deleted))
        q = q.where(compile_filter(node, self._experiment_field))
        q = q.order_by(*_order(order, self._experiment_field), E.c.created_at.desc(),
                       E.c.id.desc())
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings().all()
        return [self.experiment_entity(experiment_record(r)) for r in rows]

    def _experiment_field(self, field: Field) -> ColumnElement[Any]:
        if field.kind == "tag":
            return (select(experiment_tags.c.value)
                    .where(experiment_tags.c.experiment_id == E.c.id,
                           experiment_tags.c.key == field.key).scalar_subquery())
        return EXPERIMENT_COLUMNS[field.key]

    # -- runs -------------------------------------------------------------------------
    def insert_run(self, *, run_uuid: str, experiment_id: int, name: str, status: str,
                   start_time: int, user_id: str, parent_run_uuid: str | None) -> int:
        res = self.conn.execute(insert(R).values(
            run_uuid=run_uuid, experiment_id=experiment_id, name=name, status=status,
            start_time=start_time, end_time=None, lifecycle_stage="active", user_id=user_id,
            parent_run_uuid=parent_run_uuid))
        return inserted_id(res)

    def run(self, run_uuid: str, *, lock: bool = False) -> RunRecord | None:
        q = select(R).where(R.c.run_uuid == run_uuid)
        if lock:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else run_record(row)

    def update_run(self, run_id: int, *, status: str | None = None,
                   end_time: int | None = None, name: str | None = None) -> None:
        values = {k: v for k, v in (("status", status), ("end_time", end_time), ("name", name))
                  if v is not None}
        if values:
            self.conn.execute(update(R).where(R.c.id == run_id).values(**values))

    def set_run_lifecycle(self, run_id: int, stage: str, deleted_at: int | None) -> None:
        self.conn.execute(update(R).where(R.c.id == run_id).values(
            lifecycle_stage=stage, deleted_at=deleted_at))

    def run_entity(self, run: RunRecord) -> Run:
        return self.run_entities([run])[0]

    def run_entities(self, runs: list[RunRecord]) -> list[Run]:
        ids = [r.id for r in runs]
        if not ids:
            return []
        params: dict[int, dict[str, str]] = {i: {} for i in ids}
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        mets: dict[int, dict[str, float]] = {i: {} for i in ids}
        for rid, k, v in self.conn.execute(select(run_params.c.run_id, run_params.c.key,
                                                  run_params.c.value)
                                           .where(run_params.c.run_id.in_(ids))):
            params[rid][k] = v
        for rid, k, v in self.conn.execute(select(run_tags.c.run_id, run_tags.c.key,
                                                  run_tags.c.value)
                                           .where(run_tags.c.run_id.in_(ids))):
            tags[rid][k] = v
        for rid, k, v, kind in self.conn.execute(select(LM.c.run_id, LM.c.key, LM.c.value,
                                                        LM.c.kind).where(LM.c.run_id.in_(ids))):
            mets[rid][k] = decode_value(v, kind)
        inputs = self.inputs_of(ids)
        return [Run(run_id=r.run_uuid, experiment_id=str(r.experiment_id),
                    run_name=r.name, status=r.status, start_time=r.start_time,
                    end_time=r.end_time, lifecycle_stage=r.lifecycle_stage,
                    user_id=r.user_id, params=params[r.id], metrics=mets[r.id],
                    tags=tags[r.id], parent_run_id=r.parent_run_uuid,
                    inputs=inputs.get(r.id, []), deleted_at=r.deleted_at) for r in runs]

    def search_runs(self, experiment_ids: list[int], node: Node | None, order: list[OrderKey],
                    offset: int, limit: int, deleted: bool | None) -> list[Run]:
        q = select(R).where(R.c.experiment_id.in_(experiment_ids),
                            _lifecycle(R.c.lifecycle_stage, deleted))
        q = q.where(compile_filter(node, self._run_field))
        q = q.order_by(*_order(order, self._run_field), R.c.start_time.desc(), R.c.id.desc())
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings().all()
        return self.run_entities([run_record(r) for r in rows])

    def _run_field(self, field: Field) -> ColumnElement[Any]:
        if field.kind == "tag":
            return (select(run_tags.c.value)
                    .where(run_tags.c.run_id == R.c.id, run_tags.c.key == field.key)
                    .scalar_subquery())
        if field.kind == "param":
            return (select(run_params.c.value)
                    .where(run_params.c.run_id == R.c.id, run_params.c.key == field.key)
                    .scalar_subquery())
        if field.kind == "metric":
            return (select(LM.c.value)
                    .where(LM.c.run_id == R.c.id, LM.c.key == field.key, LM.c.kind != 1)
                    .scalar_subquery())
        return RUN_COLUMNS[field.key]

    def child_runs(self, run_uuid: str) -> list[RunRecord]:
        return [run_record(r) for r in self.conn.execute(
            select(R).where(R.c.parent_run_uuid == run_uuid).order_by(R.c.start_time)).mappings()]

    # -- params and tags --------------------------------------------------------------
    def params_of(self, run_id: int, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            out.update(self.conn.execute(select(run_params.c.key, run_params.c.value).where(
                run_params.c.run_id == run_id, run_params.c.key.in_(keys[i:i + 500]))).all())
        return out

    def insert_params(self, run_id: int, items: dict[str, str]) -> None:
        if items:
            self.conn.execute(insert(run_params), [
                {"run_id": run_id, "key": k, "value": v} for k, v in items.items()])

    def set_run_tags(self, run_id: int, items: dict[str, str]) -> None:
        self._put(run_tags, {"run_id": run_id}, {k: {"value": v} for k, v in items.items()})

    def delete_run_tag(self, run_id: int, key: str) -> bool:
        res = self.conn.execute(delete(run_tags).where(run_tags.c.run_id == run_id,
                                                       run_tags.c.key == key))
        return bool(res.rowcount)

    # -- metrics ----------------------------------------------------------------------
    def insert_metrics(self, run_id: int, items: Sequence[Metric]) -> None:
        """Append points to the series and move each key's latest value (the point with
        the highest (step, timestamp, value), as MLflow decides)."""
        if not items:
            return
        rows = []
        best: dict[str, tuple[int, int, float, int]] = {}
        for m in items:
            value, kind = encode_value(m.value)
            rows.append({"run_id": run_id, "key": m.key, "step": m.step,
                         "timestamp": m.timestamp, "value": value, "kind": kind})
            cand = (m.step, m.timestamp, value, kind)
            if m.key not in best or cand[:3] > best[m.key][:3]:
                best[m.key] = cand
        self.conn.execute(insert(metrics), rows)
        current = {}
        keys = list(best)
        for i in range(0, len(keys), 500):
            for k, step, ts, value, kind in self.conn.execute(
                    select(LM.c.key, LM.c.step, LM.c.timestamp, LM.c.value, LM.c.kind)
                    .where(LM.c.run_id == run_id, LM.c.key.in_(keys[i:i + 500]))):
                current[k] = (step, ts, value, kind)
        changed = {key: {"step": c[0], "timestamp": c[1], "value": c[2], "kind": c[3]}
                   for key, c in best.items()
                   if key not in current or c[:3] >= current[key][:3]}
        self._put(LM, {"run_id": run_id}, changed)

    def metric_history(self, run_id: int, key: str, offset: int, limit: int) -> list[Metric]:
        q = (select(metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.kind)
             .where(metrics.c.run_id == run_id, metrics.c.key == key)
             .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.id)
             .offset(offset).limit(limit))
        return [Metric(key=key, value=decode_value(v, kind), step=s, timestamp=t)
                for s, t, v, kind in self.conn.execute(q)]

    def metric_keys(self, run_id: int) -> list[str]:
        return list(self.conn.execute(select(LM.c.key).where(LM.c.run_id == run_id)
                                      .order_by(LM.c.key)).scalars())

    # -- run artifacts ----------------------------------------------------------------
    def put_artifacts(self, run_id: int, files: Sequence[FileEntry]) -> None:
        if not files:
            return
        hashes = [path_hash(f.path) for f in files]
        for i in range(0, len(hashes), 500):
            self.conn.execute(delete(run_artifacts).where(
                run_artifacts.c.run_id == run_id,
                run_artifacts.c.path_hash.in_(hashes[i:i + 500])))
        self.conn.execute(insert(run_artifacts), [
            {"run_id": run_id, "path_hash": h, "path": f.path, "size": f.size,
             "sha256": f.sha256} for f, h in zip(files, hashes, strict=True)])

    def artifact(self, run_id: int, path: str) -> FileEntry | None:
        row = self.conn.execute(select(run_artifacts.c.path, run_artifacts.c.size,
                                       run_artifacts.c.sha256).where(
            run_artifacts.c.run_id == run_id,
            run_artifacts.c.path_hash == path_hash(path))).first()
        return FileEntry(path=row[0], size=row[1], sha256=row[2]) if row else None

    def artifacts(self, run_id: int, prefix: str = "") -> list[FileEntry]:
        """Every file under ``prefix`` (a folder path, without trailing slash)."""
        q = select(run_artifacts.c.path, run_artifacts.c.size, run_artifacts.c.sha256).where(
            run_artifacts.c.run_id == run_id)
        if prefix:
            q = q.where(or_(run_artifacts.c.path == prefix,
                            run_artifacts.c.path.startswith(prefix + "/", autoescape=True)))
        return [FileEntry(path=p, size=s, sha256=d)
                for p, s, d in self.conn.execute(q.order_by(run_artifacts.c.path))]

    # -- inputs -----------------------------------------------------------------------
    def add_input(self, run_id: int, dataset_version_id: int, context: str, now: int) -> None:
        self._put(run_inputs, {"run_id": run_id},
                  {dataset_version_id: {"context": context, "created_at": now}},
                  key="dataset_version_id")

    def inputs_of(self, run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        DV = dataset_versions
        q = (select(run_inputs.c.run_id, run_inputs.c.context, datasets.c.name, DV.c.version,
                    DV.c.digest, DV.c.source, DV.c.source_type)
             .select_from(run_inputs.join(DV, DV.c.id == run_inputs.c.dataset_version_id)
                          .join(datasets, datasets.c.id == DV.c.dataset_id))
             .where(run_inputs.c.run_id.in_(run_ids))
             .order_by(run_inputs.c.created_at, datasets.c.name, DV.c.version))
        out: dict[int, list[dict[str, Any]]] = {}
        for rid, context, name, version, digest, source, source_type in self.conn.execute(q):
            out.setdefault(rid, []).append({
                "name": name, "version": version, "digest": digest, "source": source,
                "source_type": source_type, "context": context})
        return out

    # -- garbage collection -----------------------------------------------------------
    def referenced_digests(self) -> set[str]:
        out = set(self.conn.execute(select(run_artifacts.c.sha256).distinct()).scalars())
        out |= set(self.conn.execute(select(dataset_files.c.sha256).distinct()).scalars())
        return out


def _order(keys: list[OrderKey], resolve: Resolver) -> list[ColumnElement[Any]]:
    """ORDER BY with missing values last on every database."""
    out: list[ColumnElement[Any]] = []
    for key in keys:
        col = resolve(key.field)
        out.append(case((col.is_(None), 1), else_=0))
        out.append(col.desc() if key.descending else col.asc())
    return out


__all__ = ["TrackingRepo", "decode_value", "encode_value", "path_hash"]
