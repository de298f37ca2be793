"""SQL for the metrics of MLflow 3's logged models and the search clauses over them.

A logged model's metric filter matches when any of its points does (the key, the
comparison, and the datasets asked for), as MLflow's does; ordering by a metric uses
each model's newest point (by timestamp, then step), models without one last.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    case,
    exists,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from modelyard.domain.entities import ModelMetric
from modelyard.domain.search import And, Compare, Node, Or
from modelyard.store.filters import compile_filter
from modelyard.store.schema_mlflow import (
    logged_model_metrics,
    logged_models,
    run_model_inputs,
    run_model_outputs,
)
from modelyard.store.tracking_sql import decode_value, encode_value

MM, LM = logged_model_metrics, logged_models
Datasets = list[tuple[str, str | None]]


def add_metrics(conn: Connection, lid: int, items: list[ModelMetric]) -> None:
    """Add points; one that repeats a stored point exactly is left out (MLflow's
    store ignores such duplicates too)."""
    if not items:
        return
    keys = sorted({m.key for m in items})
    stored = set()
    for i in range(0, len(keys), 500):
        for k, v, kind, ts, step, run in conn.execute(
                select(MM.c.key, MM.c.value, MM.c.kind, MM.c.timestamp, MM.c.step, MM.c.run_id)
                .where(MM.c.logged_model_id == lid, MM.c.key.in_(keys[i:i + 500]))):
            stored.add((k, repr(decode_value(v, kind)), ts, step, run))
    rows = []
    for m in items:
        point = (m.key, repr(float(m.value)), m.timestamp, m.step, m.run_id)
        if point in stored:
            continue
        stored.add(point)
        value, kind = encode_value(m.value)
        rows.append({"logged_model_id": lid, "key": m.key, "value": value, "kind": kind,
                     "timestamp": m.timestamp, "step": m.step, "run_id": m.run_id,
                     "dataset_name": m.dataset_name, "dataset_digest": m.dataset_digest})
    if rows:
        conn.execute(insert(MM), rows)


def metrics_of(conn: Connection, ids: list[int]) -> dict[int, list[ModelMetric]]:
    out: dict[int, list[ModelMetric]] = {i: [] for i in ids}
    if not ids:
        return out
    q = (select(MM.c.logged_model_id, MM.c.key, MM.c.value, MM.c.kind, MM.c.timestamp,
                MM.c.step, MM.c.run_id, MM.c.dataset_name, MM.c.dataset_digest)
         .where(MM.c.logged_model_id.in_(ids)).order_by(MM.c.id))
    for lid, key, value, kind, ts, step, run, dname, ddigest in conn.execute(q):
        out[lid].append(ModelMetric(key=key, value=decode_value(value, kind), timestamp=ts,
                                    step=step, run_id=run, dataset_name=dname,
                                    dataset_digest=ddigest))
    return out


def _on_datasets(datasets: Datasets | None) -> list[ColumnElement[Any]]:
    """The clause of MLflow's ``datasets`` argument: a point on any of them (a name
    alone matches every digest of that name)."""
    if not datasets:
        return []
    alternatives = [MM.c.dataset_name == name if digest is None
                    else and_(MM.c.dataset_name == name, MM.c.dataset_digest == digest)
                    for name, digest in datasets]
    return [or_(*alternatives)]


def where(node: Node | None, attribute: Any, datasets: Datasets | None) -> ColumnElement[Any]:
    """The filter ``node`` with its ``metrics.<key>`` comparisons as "some point of the
    model matches" (on ``datasets`` when given); other fields go to ``attribute``.
    ``datasets`` without a metric comparison keeps models with any point on them."""
    clause = _where(node, attribute, datasets)
    if datasets and not _has_metric(node):
        clause = and_(clause, exists(select(literal(1)).where(
            MM.c.logged_model_id == LM.c.id, *_on_datasets(datasets))))
    return clause


def _where(node: Node | None, attribute: Any, datasets: Datasets | None) -> ColumnElement[Any]:
    if isinstance(node, And):
        return and_(*(_where(n, attribute, datasets) for n in node.items))
    if isinstance(node, Or):
        return or_(*(_where(n, attribute, datasets) for n in node.items))
    if isinstance(node, Compare) and node.field.kind == "metric":
        match = compile_filter(node, lambda _field: MM.c.value)
        return exists(select(literal(1)).where(
            MM.c.logged_model_id == LM.c.id, MM.c.key == node.field.key, MM.c.kind != 1,
            match, *_on_datasets(datasets)))
    return compile_filter(node, attribute)


def _has_metric(node: Node | None) -> bool:
    if isinstance(node, (And, Or)):
        return any(_has_metric(n) for n in node.items)
    return isinstance(node, Compare) and node.field.kind == "metric"


def latest_value(key: str, dataset: tuple[str | None, str | None] | None) -> ColumnElement[Any]:
    """A model's newest value of ``key`` (NULL when it has none), among the points on
    ``dataset`` (name, digest; either may be None) when given: an order key."""
    on = []
    if dataset is not None and dataset[0]:
        on.append(MM.c.dataset_name == dataset[0])
    if dataset is not None and dataset[1]:
        on.append(MM.c.dataset_digest == dataset[1])
    return (select(MM.c.value)
            .where(MM.c.logged_model_id == LM.c.id, MM.c.key == key, *on)
            .order_by(MM.c.timestamp.desc(), MM.c.step.desc(), MM.c.run_id.asc())
            .limit(1).scalar_subquery())


def nulls_last(col: ColumnElement[Any], descending: bool) -> list[ColumnElement[Any]]:
    return [case((col.is_(None), 1), else_=0).asc(), col.desc() if descending else col.asc()]


# Built once (a page of 100 runs built it with 200 literals).
_RUN_UUIDS: BindParameter[list[str]] = bindparam("run_ids", expanding=True)
_MI, _MO = run_model_inputs, run_model_outputs
_MODEL_IO = union_all(
    select(literal(0).label("side"), _MI.c.run_id, _MI.c.model_id, _MI.c.created_at.label("n"))
    .where(_MI.c.run_id.in_(_RUN_UUIDS)),
    select(literal(1).label("side"), _MO.c.run_id, _MO.c.model_id, _MO.c.step.label("n"))
    .where(_MO.c.run_id.in_(_RUN_UUIDS)))


def model_io(conn: Connection, run_ids: list[str]
             ) -> tuple[dict[str, list[str]], dict[str, list[dict[str, Any]]]]:
    """The logged models each run read and produced, in one query."""
    inputs: dict[str, list[str]] = {}
    outputs: dict[str, list[dict[str, Any]]] = {}
    if not run_ids:
        return inputs, outputs
    rows = conn.execute(_MODEL_IO, {"run_ids": run_ids})
    for side, run_id, model_id, n in sorted(rows, key=lambda r: (r[3], r[2])):
        if side == 0:
            inputs.setdefault(run_id, []).append(model_id)
        else:
            outputs.setdefault(run_id, []).append({"model_id": model_id, "step": n})
    return inputs, outputs
