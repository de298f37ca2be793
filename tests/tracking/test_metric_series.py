"""A metric's whole series for charts (domain ``metric_series``), on every backend, and
the largest-triangle-three-buckets reduction the web UI draws it with."""

from __future__ import annotations

import math

from modelyard.domain.entities import ANONYMOUS
from modelyard.server.ui.charts import MAX_POINTS, lttb


def test_metric_series_in_step_order_with_special_values(services) -> None:  # type: ignore[no-untyped-def]
    t = services.tracking
    run = t.create_run(ANONYMOUS, "0", "series")
    values = [0.5, math.nan, math.inf, -math.inf, 1.25]
    t.log_batch(ANONYMOUS, run.run_id, metrics=[
        {"key": "loss", "value": v, "step": 10 - i, "timestamp": i} for i, v in enumerate(values)])
    got = t.metric_series(ANONYMOUS, run.run_id, "loss")
    assert [s for s, _ in got] == [6.0, 7.0, 8.0, 9.0, 10.0]
    assert got[0][1] == 1.25 and got[1][1] == -math.inf and got[2][1] == math.inf
    assert math.isnan(got[3][1]) and got[4][1] == 0.5
    assert all(isinstance(s, float) and isinstance(v, float) for s, v in got)
    assert t.metric_series(ANONYMOUS, run.run_id, "loss", limit=2) == got[:2]
    assert t.metric_series(ANONYMOUS, run.run_id, "other") == []


def test_lttb_keeps_ends_and_peaks() -> None:
    points = [(float(i), math.sin(i / 500) + (5.0 if i == 33_333 else 0.0)) for i in range(100_000)]
    reduced = lttb(points)
    assert len(reduced) == MAX_POINTS
    assert reduced[0] == points[0] and reduced[-1] == points[-1]
    assert (33_333.0, points[33_333][1]) in reduced  # the spike survives
    assert [p[0] for p in reduced] == sorted(p[0] for p in reduced)
    assert lttb(points[:10]) == points[:10]


def test_a_long_series_comes_as_its_envelope(services) -> None:  # type: ignore[no-untyped-def]
    t = services.tracking
    run = t.create_run(ANONYMOUS, "0", "long")
    n = 3000
    values = [math.sin(s / 50) + (9.0 if s == 1234 else 0.0) for s in range(n)]
    t.log_batch(ANONYMOUS, run.run_id, metrics=[
        {"key": "loss", "value": v, "step": s, "timestamp": s} for s, v in enumerate(values)]
        + [{"key": "loss", "value": math.nan, "step": n, "timestamp": n}])
    whole = t.metric_series(ANONYMOUS, run.run_id, "loss", envelope_above=n + 1)
    assert len(whole) == n + 1  # not longer than the bound: every point
    env = t.metric_series(ANONYMOUS, run.run_id, "loss", envelope_above=400)
    assert 200 <= len(env) <= 400
    steps = [s for s, _ in env]
    assert steps == sorted(steps) and steps[0] == 0.0 and steps[-1] == n - 1
    assert max(v for _, v in env) == max(values)  # the spike is kept
    assert min(v for _, v in env) == min(values)
    assert all(math.isfinite(v) for _, v in env)
