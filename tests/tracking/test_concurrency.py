"""Concurrent writers on every database: experiment ids stay unique, and writers to the
same run (metrics, tags, latest values) neither lose data nor dead-lock."""

from __future__ import annotations

import threading

from modelyard.client.local import LocalClient


def _threads(n, target):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_concurrent_experiments_and_run_writes(services):
    c = LocalClient("test", services=services)
    _threads(4, lambda t: [c.create_experiment(f"e-{t}-{i}") for i in range(8)])
    ids = [e.experiment_id for e in c.search_experiments()]
    assert len(ids) == 33 and len(set(ids)) == 33
    run = c.create_run("0")

    def writer(t):
        for i in range(15):
            c.log_metric(run.run_id, "m", float(t * 100 + i), step=t * 100 + i)
            c.log_metric(run.run_id, f"own-{t}", 1.0)
            c.set_run_tag(run.run_id, "last", str(t))
            c.log_param(run.run_id, "shared", "same")

    _threads(4, writer)
    got = c.get_run(run.run_id)
    assert len(list(c.iter_metric_history(run.run_id, "m"))) == 60
    assert got.metrics["m"] == 314.0
    assert {k for k in got.metrics if k.startswith("own-")} == {"own-0", "own-1", "own-2", "own-3"}
    assert got.params == {"shared": "same"}

    def new_runs(t):
        for _ in range(5):
            r = c.create_run("0", tags={"t": str(t)})
            c.log_batch(r.run_id, metrics=[{"key": "auc", "value": 0.5}],
                        params=[("p", "1")], tags=[("x", "y")])

    _threads(4, new_runs)
    assert len(c.search_runs(["0"], "tags.x = 'y'").items) == 20
