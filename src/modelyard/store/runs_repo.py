"""SQL for runs, their params, tags, artifacts and inputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Double,
    SmallInteger,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    insert,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from modelyard.domain.entities import FileEntry, Run
from modelyard.domain.records import RunRecord
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.store.rows import by_key, inserted_id
from modelyard.store.statement_memo import memoized
from modelyard.store.filters import compile_filter
from modelyard.store.bulk import insert_rows
from modelyard.store.mapping import run_record
from modelyard.store.model_metrics_sql import model_io
from modelyard.store.schema_tracking import (
    dataset_versions,
    datasets,
    run_artifacts,
    run_inputs,
    run_params,
    run_tags,
)

from modelyard.store.tracking_sql import (
    LM,
    ChildRows,
    R,
    lifecycle_filter,
    order_missing_last,
    decode_value,
    path_hash,
)

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



# Built once: every tracking call reads its run first.
_RUN = select(R).where(R.c.run_uuid == bindparam("run_uuid"))
_RUN_FOR_UPDATE = _RUN.with_for_update()
_ARTIFACTS = (select(run_artifacts.c.path, run_artifacts.c.size, run_artifacts.c.sha256)
              .where(run_artifacts.c.run_id == bindparam("run_id"))
              .order_by(run_artifacts.c.path))
# A file at ``prefix`` or under it: LIKE with "/" as the escape character, as
# SQLAlchemy's ``startswith(autoescape=True)`` renders it (the same on every database).
_UNDER_PREFIX = or_(run_artifacts.c.path == bindparam("prefix"),
                    run_artifacts.c.path.like(bindparam("pattern"), escape="/"))
_ARTIFACTS_UNDER = _ARTIFACTS.where(_UNDER_PREFIX)
# The files of a run named by its id, with the run's row: no row, no run; one row
# without a path, a run without files (one statement where the run and then its
# files took two).
_RUN_FILES = {under: select(R.c.id, run_artifacts.c.path, run_artifacts.c.size,
                            run_artifacts.c.sha256)
              .select_from(R.outerjoin(run_artifacts, and_(
                  run_artifacts.c.run_id == R.c.id, *([_UNDER_PREFIX] if under else []))))
              .where(R.c.run_uuid == bindparam("run_uuid"))
              .order_by(run_artifacts.c.path) for under in (False, True)}
# The tags, params and latest metrics of a page of runs in one statement, built once
# (a page of 100 runs built three statements of 100 literals each): rows of
# (kind, run id, key, text, number, metric kind, step, timestamp), in no order: each
# kind is sorted by key in Python (code points, whatever the database's collation
# would do).
_RUN_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_TAGS_OF = (select(run_tags.c.run_id, run_tags.c.key, run_tags.c.value)
            .where(run_tags.c.run_id.in_(_RUN_IDS)))
# The metrics first: their typed columns type the union's (PostgreSQL types a column
# by its first SELECT's; a bare NULL there would be text), and MySQL cannot CAST to
# DOUBLE, so the NULLs after them are bare.
_NO_NUMBER = type_coerce(null(), Double)
_NO_KIND = type_coerce(null(), SmallInteger)
_NO_INT = type_coerce(null(), BigInteger)
_CHILDREN_OF = union_all(
    select(literal("m").label("kind"), LM.c.run_id.label("rid"), LM.c.key.label("k"),
           cast(null(), Text).label("text"), LM.c.value.label("num"),
           LM.c.kind.label("mkind"), LM.c.step.label("step"), LM.c.timestamp.label("ts"))
    .where(LM.c.run_id.in_(_RUN_IDS)),
    select(literal("t"), run_tags.c.run_id, run_tags.c.key, run_tags.c.value,
           _NO_NUMBER, _NO_KIND, _NO_INT, _NO_INT)
    .where(run_tags.c.run_id.in_(_RUN_IDS)),
    select(literal("p"), run_params.c.run_id, run_params.c.key, run_params.c.value,
           _NO_NUMBER, _NO_KIND, _NO_INT, _NO_INT)
    .where(run_params.c.run_id.in_(_RUN_IDS)),
)
_DV = dataset_versions
_INPUTS_OF = (select(run_inputs.c.run_id, run_inputs.c.context, run_inputs.c.tags,
                     datasets.c.name, _DV.c.version, _DV.c.digest, _DV.c.source,
                     _DV.c.source_type, _DV.c.profile)
              .select_from(run_inputs.join(_DV, _DV.c.id == run_inputs.c.dataset_version_id)
                           .join(datasets, datasets.c.id == _DV.c.dataset_id))
              .where(run_inputs.c.run_id.in_(_RUN_IDS))
              .order_by(run_inputs.c.created_at, datasets.c.name, _DV.c.version))
# And every logged param reads the values its keys have.
_PARAMS_OF = select(run_params.c.key, run_params.c.value).where(
    run_params.c.run_id == bindparam("run_id"),
    run_params.c.key.in_(bindparam("keys", expanding=True)))
_INSERT_PARAMS = insert(run_params)


def _run_field(field: Field) -> ColumnElement[Any]:
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


@memoized
def _search_runs(experiment_ids: tuple[int, ...], node: Node | None,
                 order: tuple[OrderKey, ...], offset: int, limit: int,
                 deleted: bool | None) -> Any:
    q = select(R).where(R.c.experiment_id.in_(experiment_ids),
                        lifecycle_filter(R.c.lifecycle_stage, deleted))
    q = q.where(compile_filter(node, _run_field))
    # MLflow's order: the requested keys, then start time (newest first), then the
    # run id ascending, so that runs started in the same millisecond keep one order.
    q = q.order_by(*order_missing_last(list(order), _run_field), R.c.start_time.desc(),
                   R.c.run_uuid.asc())
    return q.offset(offset).limit(limit)


class RunsRepo(ChildRows):
    def insert_run(self, *, run_uuid: str, experiment_id: int, name: str, status: str,
                   start_time: int, user_id: str, parent_run_uuid: str | None) -> int:
        res = self.conn.execute(insert(R).values(
            run_uuid=run_uuid, experiment_id=experiment_id, name=name, status=status,
            start_time=start_time, end_time=None, lifecycle_stage="active", user_id=user_id,
            parent_run_uuid=parent_run_uuid))
        return inserted_id(res)

    def run(self, run_uuid: str, *, lock: bool = False) -> RunRecord | None:
        row = self.conn.execute(_RUN_FOR_UPDATE if lock else _RUN,
                                {"run_uuid": run_uuid}).mappings().first()
        return None if row is None else run_record(row)

    def run_ids_with_prefix(self, prefix: str, limit: int) -> list[str]:
        q = select(R.c.run_uuid).where(R.c.run_uuid.like(f"{prefix}%")).limit(limit)
        return [str(r) for r in self.conn.execute(q).scalars()]

    def update_run(self, run_id: int, *, status: str | None = None,
                   end_time: int | None = None, name: str | None = None) -> None:
        values = {k: v for k, v in (("status", status), ("end_time", end_time), ("name", name))
                  if v is not None}
        if values:
            self.conn.execute(update(R).where(R.c.id == run_id).values(**values))

    def set_run_lifecycle(self, run_id: int, stage: str, deleted_at: int | None) -> None:
        self.conn.execute(update(R).where(R.c.id == run_id).values(
            lifecycle_stage=stage, deleted_at=deleted_at))

    def run_entity(self, run: RunRecord, *, tags_only: bool = False) -> Run:
        return self.run_entities([run], tags_only=tags_only)[0]

    def run_entities(self, runs: list[RunRecord], *, tags_only: bool = False) -> list[Run]:
        """Whole runs; ``tags_only``: attributes and tags, no params, metrics or inputs."""
        ids = [r.id for r in runs]
        if not ids:
            return []
        params: dict[int, dict[str, str]] = {i: {} for i in ids}
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        mets: dict[int, dict[str, float]] = {i: {} for i in ids}
        at: dict[int, dict[str, tuple[int, int]]] = {i: {} for i in ids}
        if tags_only:
            for rid, k, v in self.conn.execute(_TAGS_OF, {"ids": ids}):
                tags[rid][k] = v
            inputs: dict[int, list[dict[str, Any]]] = {}
            models_in: dict[str, list[str]] = {}
            models_out: dict[str, list[dict[str, Any]]] = {}
        else:
            for kind, rid, k, text, num, mkind, step, ts in self.conn.execute(
                    _CHILDREN_OF, {"ids": ids}):
                if kind == "t":
                    tags[rid][k] = text
                elif kind == "p":
                    params[rid][k] = text
                else:
                    mets[rid][k] = decode_value(num, mkind)
                    at[rid][k] = (step, ts)
            inputs = self.inputs_of(ids)
            models_in, models_out = model_io(self.conn, [r.run_uuid for r in runs])
        return [Run.assembled({
            "run_id": r.run_uuid, "experiment_id": str(r.experiment_id), "run_name": r.name,
            "status": r.status, "start_time": r.start_time, "end_time": r.end_time,
            "lifecycle_stage": r.lifecycle_stage, "user_id": r.user_id,
            "params": by_key(params[r.id]), "metrics": by_key(mets[r.id]),
            "metric_at": at[r.id],
            "tags": by_key(tags[r.id]), "parent_run_id": r.parent_run_uuid,
            "inputs": inputs.get(r.id, []), "deleted_at": r.deleted_at,
            "model_inputs": models_in.get(r.run_uuid, []),
            "model_outputs": models_out.get(r.run_uuid, [])}) for r in runs]

    def search_runs(self, experiment_ids: list[int], node: Node | None, order: list[OrderKey],
                    offset: int, limit: int, deleted: bool | None) -> list[Run]:
        q = _search_runs(tuple(experiment_ids), node, tuple(order), offset, limit, deleted)
        rows = self.conn.execute(q).mappings().all()
        return self.run_entities([run_record(r) for r in rows])

    def child_runs(self, run_uuid: str) -> list[RunRecord]:
        return [run_record(r) for r in self.conn.execute(
            select(R).where(R.c.parent_run_uuid == run_uuid).order_by(R.c.start_time)).mappings()]

    # -- params and tags --------------------------------------------------------------
    def params_of(self, run_id: int, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        out: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            out.update(self.conn.execute(
                _PARAMS_OF, {"run_id": run_id, "keys": keys[i:i + 500]}).all())
        return out

    def insert_params(self, run_id: int, items: dict[str, str]) -> None:
        if items:
            self.conn.execute(_INSERT_PARAMS, [
                {"run_id": run_id, "key": k, "value": v} for k, v in items.items()])

    def set_run_tags(self, run_id: int, items: dict[str, str]) -> None:
        self._put(run_tags, {"run_id": run_id}, {k: {"value": v} for k, v in items.items()})

    def insert_run_tags(self, run_id: int, items: dict[str, str]) -> None:
        # No look for keys that exist first, as set_run_tags does: a new run has none.
        insert_rows(self.conn, run_tags, ("run_id", "key", "value"),
                    [(run_id, k, v) for k, v in items.items()])

    def delete_run_tag(self, run_id: int, key: str) -> bool:
        res = self.conn.execute(delete(run_tags).where(run_tags.c.run_id == run_id,
                                                       run_tags.c.key == key))
        return bool(res.rowcount)

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
        if prefix:
            rows = self.conn.execute(_ARTIFACTS_UNDER, {"run_id": run_id,
                                                        **_under_params(prefix)})
        else:
            rows = self.conn.execute(_ARTIFACTS, {"run_id": run_id})
        return [FileEntry(path=p, size=s, sha256=d) for p, s, d in rows]

    def run_files(self, run_uuid: str, prefix: str = "") -> list[FileEntry] | None:
        """What :meth:`artifacts` answers for the run ``run_uuid``; None if there is no
        such run."""
        params = {"run_uuid": run_uuid, **(_under_params(prefix) if prefix else {})}
        rows = self.conn.execute(_RUN_FILES[bool(prefix)], params).all()
        if not rows:
            return None
        return [FileEntry(path=p, size=s, sha256=d) for _, p, s, d in rows if p is not None]

    def delete_artifacts(self, run_id: int, paths: list[str]) -> None:
        hashes = [path_hash(p) for p in paths]
        for i in range(0, len(hashes), 500):
            self.conn.execute(delete(run_artifacts).where(
                run_artifacts.c.run_id == run_id,
                run_artifacts.c.path_hash.in_(hashes[i:i + 500])))

    # -- inputs -----------------------------------------------------------------------
    def add_input(self, run_id: int, dataset_version_id: int, context: str, now: int,
                  tags: dict[str, str] | None = None) -> bool:
        """Record an input once: an input already recorded keeps its context and tags
        (as MLflow keeps the first).  The caller holds the run's row lock."""
        found = self.conn.execute(select(run_inputs.c.run_id).where(
            run_inputs.c.run_id == run_id,
            run_inputs.c.dataset_version_id == dataset_version_id)).first()
        if found is not None:
            return False
        self.conn.execute(insert(run_inputs).values(
            run_id=run_id, dataset_version_id=dataset_version_id, context=context,
            created_at=now, tags=json.dumps(tags) if tags else None))
        return True

    def inputs_of(self, run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        q = _INPUTS_OF
        out: dict[int, list[dict[str, Any]]] = {}
        for (rid, context, tags, name, version, digest, source, source_type,
             profile) in self.conn.execute(q, {"ids": run_ids}):
            out.setdefault(rid, []).append({
                "name": name, "version": version, "digest": digest, "source": source,
                "source_type": source_type, "context": context,
                "tags": json.loads(tags) if tags else {},
                "profile": json.loads(profile) if profile else None})
        return out


def _under_params(prefix: str) -> dict[str, str]:
    """The parameters of ``_UNDER_PREFIX`` for the folder ``prefix``."""
    return {"prefix": prefix, "pattern": _like_prefix(prefix + "/")}


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern (escape character "/") matching what starts with ``prefix``."""
    return prefix.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
