"""Ties come back in MLflow's order: runs started in the same millisecond by run id
ascending (not newest-inserted first), experiments created together by id
ascending, and with an explicit order the tie-breakers MLflow uses."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True)


def test_runs_with_equal_start_time_by_run_id(mc: MlflowClient) -> None:
    exp = mc.create_experiment("ties")
    ids = [mc.create_run(exp, start_time=1_700_000_000_000).info.run_id for _ in range(6)]
    later = mc.create_run(exp, start_time=1_700_000_000_001).info.run_id
    got = [r.info.run_id for r in mc.search_runs([exp])]
    assert got == [later, *sorted(ids)]
    paged, token = [], None
    while True:
        page = mc.search_runs([exp], max_results=2, page_token=token)
        paged += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert paged == got
    by_name = [r.info.run_id for r in mc.search_runs([exp], order_by=["attributes.status ASC"])]
    assert by_name == [later, *sorted(ids)]  # equal status: then start time, then id


def test_experiments_default_order(mc: MlflowClient) -> None:
    names = [f"e{i}" for i in range(4)]
    ids = [mc.create_experiment(n) for n in names]
    got = [e.experiment_id for e in mc.search_experiments() if e.name in names]
    created = {e.experiment_id: e.creation_time for e in mc.search_experiments()}
    expected = sorted(ids, key=lambda i: (-created[i], int(i)))
    assert got == expected
