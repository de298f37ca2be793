"""Metrics logged for an MLflow 3 logged model: a metric of a run that names a
``model_id`` (and the dataset it was measured on) is also a point of that model,
written in the run's ``log_batch`` transaction, so both or neither are stored.

MLflow 3's ``log_model`` reads the run's metric histories and logs them again with
the new model's id: in the run such a point repeats one it holds and is left out
there (MLflow's store ignores exact duplicates too), while the model gets it.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain.entities import Metric, ModelMetric
from modelyard.domain.ports import Transaction
from modelyard.errors import NotFound

HISTORY_LIMIT = 100_000  # points of one key read to find repeats


@dataclass(frozen=True)
class ModelRef:
    """The logged model a metric point belongs to, and its dataset."""

    model_id: str
    dataset_name: str | None = None
    dataset_digest: str | None = None


def log_model_metrics(tx: Transaction, run_pk: int, run_id: str,
                      parsed: list[tuple[Metric, ModelRef | None]]) -> list[Metric]:
    """Add the points that name a logged model to it; answer the run's points to
    insert (those with a model that repeat the run's history left out).  A logged
    model this server does not hold is NotFound, and nothing is written."""
    by_model: dict[str, list[ModelMetric]] = {}
    for m, ref in parsed:
        if ref is not None:
            by_model.setdefault(ref.model_id, []).append(ModelMetric(
                key=m.key, value=m.value, timestamp=m.timestamp, step=m.step, run_id=run_id,
                dataset_name=ref.dataset_name, dataset_digest=ref.dataset_digest))
    for model_id, points in by_model.items():
        row = tx.logged_models.get(model_id)
        if row is None:
            raise NotFound(f"logged model {model_id!r} does not exist")
        tx.logged_models.add_metrics(row.id, points)
    keys = {m.key for m, ref in parsed if ref is not None}
    seen = set()
    for key in keys:
        for h in tx.tracking.metric_history(run_pk, key, 0, HISTORY_LIMIT):
            seen.add(_point(h))
    out = []
    for m, ref in parsed:
        if ref is not None:
            if _point(m) in seen:
                continue
            seen.add(_point(m))
        out.append(m)
    return out


def _point(m: Metric) -> tuple[str, int, int, str]:
    return (m.key, m.step, m.timestamp, repr(float(m.value)))
