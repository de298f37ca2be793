"""SQL for MLflow 3's logged models: rows, tags, file manifests and run outputs."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.entities import FileEntry, LoggedModel
from modelyard.domain.records import LoggedModelRecord
from modelyard.domain.entities import ModelMetric
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.store import model_metrics_sql as mm
from modelyard.store.rows import inserted_id
from modelyard.store.mapping import logged_model_record
from modelyard.store.schema_mlflow import (
    logged_model_files,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_model_inputs,
    run_model_outputs,
)

LM, F, T, P = logged_models, logged_model_files, logged_model_tags, logged_model_params

COLUMNS = {
    "model_id": LM.c.model_id,
    "name": LM.c.name,
    "experiment_id": LM.c.experiment_id,
    "source_run_id": LM.c.source_run_id,
    "model_type": LM.c.model_type,
    "status": LM.c.status,
    "created_at": LM.c.created_at,
    "updated_at": LM.c.updated_at,
}


class LoggedModelsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert(self, *, model_id: str, experiment_id: str, name: str,
               source_run_id: str | None, model_type: str, params: dict[str, str],
               tags: dict[str, str], now: int, actor: str) -> int:
        res = self.conn.execute(insert(LM).values(
            model_id=model_id, experiment_id=experiment_id, name=name,
            source_run_id=source_run_id, model_type=model_type, status="PENDING",
            status_message="", params=json.dumps(params) if params else None,
            created_at=now, updated_at=now, created_by=actor))
        lid = inserted_id(res)
        if params:
            self.conn.execute(insert(P), [{"logged_model_id": lid, "key": k, "value": v}
                                          for k, v in params.items()])
        if tags:
            self.conn.execute(insert(T), [{"logged_model_id": lid, "key": k, "value": v}
                                          for k, v in tags.items()])
        return lid

    def get(self, model_id: str, *, lock: bool = False) -> LoggedModelRecord | None:
        q = select(LM).where(LM.c.model_id == model_id, LM.c.deleted_at.is_(None))
        if lock:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else logged_model_record(row)

    def _update(self, lid: int, now: int, values: dict[str, Any]) -> None:
        self.conn.execute(update(LM).where(LM.c.id == lid).values(updated_at=now, **values))

    def touch(self, lid: int, now: int) -> None:
        """Every write on a logged model goes through here (or a setter below) first: it
        takes the row lock that orders concurrent writers (parallel artifact uploads)."""
        self._update(lid, now, {})

    def set_status(self, lid: int, status: str, now: int) -> None:
        self._update(lid, now, {"status": status})

    def mark_deleted(self, lid: int, now: int) -> None:
        self._update(lid, now, {"deleted_at": now})

    def entity(self, model: LoggedModelRecord) -> LoggedModel:
        return self.entities([model])[0]

    def entities(self, models: list[LoggedModelRecord]) -> list[LoggedModel]:
        ids = [m.id for m in models]
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        if ids:
            for lid, k, v in self.conn.execute(select(T.c.logged_model_id, T.c.key, T.c.value)
                                               .where(T.c.logged_model_id.in_(ids))):
                tags[lid][k] = v
        metrics = mm.metrics_of(self.conn, ids)
        return [LoggedModel(
            model_id=m.model_id, experiment_id=m.experiment_id, name=m.name,
            source_run_id=m.source_run_id, model_type=m.model_type, status=m.status,
            params=dict(m.params), tags=tags[m.id], created_at=m.created_at,
            updated_at=m.updated_at, created_by=m.created_by, metrics=metrics[m.id])
            for m in models]

    def set_params(self, lid: int, params: dict[str, str]) -> None:
        """Replace the model's params (the caller holds its row lock and merged them)."""
        self.conn.execute(update(LM).where(LM.c.id == lid).values(
            params=json.dumps(params) if params else None))
        self.conn.execute(delete(P).where(P.c.logged_model_id == lid))
        if params:
            self.conn.execute(insert(P), [{"logged_model_id": lid, "key": k, "value": v}
                                          for k, v in params.items()])

    def add_metrics(self, lid: int, items: list[ModelMetric]) -> None:
        mm.add_metrics(self.conn, lid, items)

    def set_tag(self, lid: int, key: str, value: str) -> None:
        res = self.conn.execute(update(T).where(T.c.logged_model_id == lid, T.c.key == key)
                                .values(value=value))
        if not res.rowcount:
            self.conn.execute(insert(T).values(logged_model_id=lid, key=key, value=value))

    def delete_tag(self, lid: int, key: str) -> bool:
        res = self.conn.execute(delete(T).where(T.c.logged_model_id == lid, T.c.key == key))
        return bool(res.rowcount)

    def put_files(self, lid: int, files: list[FileEntry]) -> None:
        """Add files; a path that exists is replaced (the caller holds the row lock)."""
        paths = [f.path for f in files]
        self.conn.execute(delete(F).where(F.c.logged_model_id == lid, F.c.path.in_(paths)))
        self.conn.execute(insert(F), [{"logged_model_id": lid, "path": f.path, "size": f.size,
                                       "sha256": f.sha256} for f in files])

    def files(self, lid: int, prefix: str = "") -> list[FileEntry]:
        q = select(F.c.path, F.c.size, F.c.sha256).where(F.c.logged_model_id == lid)
        if prefix:
            q = q.where(or_(F.c.path == prefix, F.c.path.startswith(prefix + "/", autoescape=True)))
        return [FileEntry(path=p, size=s, sha256=d)
                for p, s, d in self.conn.execute(q.order_by(F.c.path))]

    def search(self, experiment_ids: list[str], node: Node | None, order: list[OrderKey],
               offset: int, limit: int,
               datasets: list[tuple[str, str | None]] | None = None,
               order_datasets: list[tuple[str | None, str | None] | None] | None = None
               ) -> list[LoggedModel]:
        q = select(LM).where(LM.c.deleted_at.is_(None))
        if experiment_ids:
            q = q.where(LM.c.experiment_id.in_(experiment_ids))
        q = q.where(mm.where(node, self._field, datasets))
        keys = []
        for i, key in enumerate(order):
            if key.field.kind == "metric":
                on = order_datasets[i] if order_datasets and i < len(order_datasets) else None
                keys += mm.nulls_last(mm.latest_value(key.field.key, on), key.descending)
            else:
                col = self._field(key.field)
                keys.append(col.desc() if key.descending else col.asc())
        q = q.order_by(*keys, LM.c.created_at.desc(), LM.c.id.desc())
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings()
        return self.entities([logged_model_record(r) for r in rows])

    def _field(self, field: Field) -> ColumnElement[Any]:
        if field.kind == "tag":
            return (select(T.c.value).where(T.c.logged_model_id == LM.c.id, T.c.key == field.key)
                    .scalar_subquery())
        if field.kind == "param":
            return (select(P.c.value).where(P.c.logged_model_id == LM.c.id, P.c.key == field.key)
                    .scalar_subquery())
        return COLUMNS[field.key]

    def add_output(self, run_id: str, model_id: str, step: int) -> None:
        res = self.conn.execute(update(run_model_outputs).where(
            run_model_outputs.c.run_id == run_id, run_model_outputs.c.model_id == model_id)
            .values(step=step))
        if not res.rowcount:
            self.conn.execute(insert(run_model_outputs).values(run_id=run_id, model_id=model_id,
                                                               step=step))

    def outputs(self, run_id: str) -> list[tuple[str, int]]:
        return self.outputs_of([run_id])[run_id]

    def outputs_of(self, run_ids: list[str]) -> dict[str, list[tuple[str, int]]]:
        MO = run_model_outputs
        out: dict[str, list[tuple[str, int]]] = {r: [] for r in run_ids}
        if run_ids:
            for r, m, step in self.conn.execute(
                    select(MO.c.run_id, MO.c.model_id, MO.c.step)
                    .where(MO.c.run_id.in_(run_ids)).order_by(MO.c.step, MO.c.model_id)):
                out[r].append((m, step))
        return out

    def add_input(self, run_id: str, model_id: str, now: int) -> None:
        MI = run_model_inputs
        found = self.conn.execute(select(MI.c.run_id).where(
            MI.c.run_id == run_id, MI.c.model_id == model_id)).first()
        if found is None:
            self.conn.execute(insert(MI).values(run_id=run_id, model_id=model_id,
                                               created_at=now))

    def inputs_of(self, run_ids: list[str]) -> dict[str, list[str]]:
        MI = run_model_inputs
        out: dict[str, list[str]] = {r: [] for r in run_ids}
        if run_ids:
            for r, m in self.conn.execute(select(MI.c.run_id, MI.c.model_id)
                                          .where(MI.c.run_id.in_(run_ids))
                                          .order_by(MI.c.created_at, MI.c.model_id)):
                out[r].append(m)
        return out

    def referenced_digests(self) -> set[str]:
        return set(self.conn.execute(select(F.c.sha256).distinct()).scalars())
