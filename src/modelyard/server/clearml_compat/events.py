"""``events.add_batch``: scalars (``training_stats_scalar``) become the run's metric
series ``<metric>/<variant>`` at step ``iter``, and advance the task's
``last_iteration``; console lines (``log``) and plots are accepted and not kept."""

from __future__ import annotations

import math
from typing import Any

from modelyard.domain.entities import Metric, Principal
from modelyard.errors import ModelyardError
from modelyard.server.clearml_compat import docs
from modelyard.services import Services


def _metric(event: dict[str, Any]) -> Metric | None:
    raw = event.get("value")
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    value = float(raw)
    key = f"{event.get('metric', '')}/{event.get('variant', '')}".strip("/")[:250]
    step = event.get("iter") or 0
    ts = event.get("timestamp") or 0
    if not key or not isinstance(step, int) or not isinstance(ts, (int, float)) \
            or not math.isfinite(ts) or abs(ts) > 2 ** 62:
        return None
    return Metric(key, value, step, int(ts))


def add_batch(svc: Services, who: Principal, events: list[dict[str, Any]]) -> dict[str, Any]:
    by_task: dict[str, list[Metric]] = {}
    added = errors = 0
    for event in events:
        task = event.get("task")
        if not isinstance(task, str):
            errors += 1
            continue
        if event.get("type") == "training_stats_scalar":
            metric = _metric(event)
            if metric is None:
                errors += 1
                continue
            by_task.setdefault(task, []).append(metric)
        added += 1
    for task, metrics in by_task.items():
        try:
            run = svc.tracking.get_run(who, task, tags_only=True)
            last = max(m.step for m in metrics)
            tags = {}
            if last > int(run.tags.get(docs.PREFIX + "last_iteration", "0") or 0):
                tags[docs.PREFIX + "last_iteration"] = str(last)
            svc.tracking.log_batch(who, task, metrics=metrics, tags=tags)
        except ModelyardError:
            added -= len(metrics)
            errors += len(metrics)
    return {"added": added, "errors": errors, "errors_info": {}}
