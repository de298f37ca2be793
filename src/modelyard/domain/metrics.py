"""Params, metrics and run tags: ``log_batch`` writes one call's worth in one
transaction; params are immutable; a metric is a time series."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import Metric, Page, Principal
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.tracking_base import (
    DEFAULT_HISTORY_PAGE,
    MAX_BATCH_METRICS,
    MAX_BATCH_PARAMS,
    MAX_BATCH_TAGS,
    MAX_HISTORY_PAGE,
    TrackingBase,
    _float,
    _pairs,
)
from modelyard.domain.model_metrics import ModelRef, log_model_metrics
from modelyard.domain.roles import Permission
from modelyard.domain.validation import (
    check_int,
    check_max_results,
    check_metric_key,
    check_param,
    check_run_tag,
    check_text,
)
from modelyard.errors import InvalidParameter, NoSuchTag


MAX_SERIES_POINTS = 1_000_000  # points one chart series reads before it is reduced


class MetricOps(TrackingBase):
    def log_param(self, actor: Principal, run_id: str, key: str, value: Any) -> None:
        self.log_batch(actor, run_id, params=[(key, value)])

    def log_metric(self, actor: Principal, run_id: str, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None:
        self.log_batch(actor, run_id, metrics=[{"key": key, "value": value, "step": step,
                                                "timestamp": timestamp}])

    def set_run_tag(self, actor: Principal, run_id: str, key: str, value: str) -> None:
        self.log_batch(actor, run_id, tags=[(key, value)])

    def delete_run_tag(self, actor: Principal, run_id: str, key: str) -> None:
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            if not tx.tracking.delete_run_tag(row.id, key):
                raise NoSuchTag(f"run {run_id!r} has no tag {key!r}")
            ev.record(tx, now, actor, ev.RunTagDeleted(key), "run", run_id)

    def _metrics(self, items: Iterable[Any], now: int) -> list[tuple[Metric, ModelRef | None]]:
        """Each metric, with the logged model it was logged for (MLflow 3's ``model_id``,
        ``dataset_name``, ``dataset_digest``), if any."""
        out = []
        keys: set[str] = set()  # keys checked already: a batch repeats a few keys
        for m in items:
            model: object = None
            if isinstance(m, dict):
                key, value, step, ts = m.get("key"), m.get("value"), m.get("step"), m.get("timestamp")
                model = m.get("model_id") or None
            elif isinstance(m, Metric) or hasattr(m, "key"):
                key, value, step, ts = m.key, m.value, m.step, m.timestamp
            else:
                raise InvalidParameter("each metric must be a Metric or {key, value, step, timestamp}")
            if type(key) is not str or key not in keys:
                key = check_metric_key(key)
                keys.add(key)
            point = Metric(key=key, value=_float(value, key),
                           step=check_int(step or 0, "step"),
                           timestamp=check_int(ts, "timestamp") if ts else now)
            ref = None
            if model is not None and isinstance(m, dict):
                ref = ModelRef(check_text(model, "model_id", 64),
                               check_text(m.get("dataset_name"), "dataset_name", 256) or None,
                               check_text(m.get("dataset_digest"), "dataset_digest", 64) or None)
            out.append((point, ref))
        return out

    def log_batch(self, actor: Principal, run_id: str, metrics: Iterable[Any] = (),
                  params: Any = (), tags: Any = ()) -> None:
        """Metrics, params and tags of one call, all in one transaction.  A metric with a
        ``model_id`` is also a point of that logged model (MLflow 3); in the run it is
        left out when it repeats a point of the run's history exactly (MLflow 3's
        ``log_model`` logs a run's metrics again for the model)."""
        now = self.clock.now_ms()
        parsed = self._metrics(metrics, now)
        # A point of a logged model changes that model: write access on it too.
        self._require_logged_models(actor, Permission.WRITE,
                                    [ref.model_id for _, ref in parsed if ref is not None])
        metric_items = [m for m, _ in parsed]
        param_pairs = [check_param(k, v) for k, v in _pairs(params, "param")]
        tag_items = dict(check_run_tag(k, v) for k, v in _pairs(tags, "tag"))
        if len(metric_items) > MAX_BATCH_METRICS or len(param_pairs) > MAX_BATCH_PARAMS \
                or len(tag_items) > MAX_BATCH_TAGS:
            raise InvalidParameter(f"a batch holds at most {MAX_BATCH_METRICS} metrics, "
                                   f"{MAX_BATCH_PARAMS} params and {MAX_BATCH_TAGS} tags")
        new_params: dict[str, str] = {}
        for k, v in param_pairs:
            if new_params.get(k, v) != v:
                raise InvalidParameter(f"param {k!r} is given twice with different values")
            new_params[k] = v
        if not (metric_items or new_params or tag_items):
            with self.store.read() as tx:
                self._run_row(tx, run_id, active=True)
            return
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            existing = tx.tracking.params_of(row.id, new_params)
            for k, v in existing.items():
                if new_params[k] != v:
                    raise InvalidParameter(
                        f"param {k!r} of run {run_id} is already {_short(v)}; params are "
                        f"immutable, it cannot change to {_short(new_params[k])}")
            if any(ref is not None for _, ref in parsed):
                metric_items = log_model_metrics(tx, row.id, run_id, parsed)
            tx.tracking.insert_params(row.id, {k: v for k, v in new_params.items()
                                                  if k not in existing})
            tx.tracking.insert_metrics(row.id, metric_items)
            tx.tracking.set_run_tags(row.id, tag_items)
            ev.record(tx, now, actor, ev.RunLogged(
                len(metric_items), sorted({m.key for m in metric_items})[:20],
                sorted(new_params)[:20], sorted(tag_items)[:20]), "run", run_id)

    def get_metric_history(self, actor: Principal, run_id: str, key: str,
                           max_results: int | None = None,
                           page_token: str | None = None) -> Page[Metric]:
        check_metric_key(key)
        limit = check_max_results(max_results, DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            row = self._run_row(tx, run_id)
            items = tx.tracking.metric_history(row.id, key, offset, limit + 1)
        return page_of(items, offset, limit)

    def metric_series(self, actor: Principal, run_id: str, key: str,
                      limit: int = MAX_SERIES_POINTS, *,
                      envelope_above: int | None = None) -> list[tuple[float, float]]:
        """A metric's (step, value) points in step order, at most ``limit``: the whole
        series a chart reduces, without building a record per point.  With
        ``envelope_above``, a series longer than that comes as its envelope instead
        (``envelope_above // 2`` step buckets, each its lowest value at its first step
        and its highest at its last; NaN and infinities left out), computed by the
        database: what a chart draws is the same, and far fewer rows are read."""
        check_metric_key(key)
        with self.store.read() as tx:
            row = self._run_row(tx, run_id)
            if envelope_above is not None:
                count, points = tx.tracking.metric_envelope(
                    row.id, key, max(1, envelope_above // 2), above=envelope_above)
                if count > envelope_above:
                    return points
            return tx.tracking.metric_points(row.id, key, max(1, min(limit, MAX_SERIES_POINTS)))


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")
