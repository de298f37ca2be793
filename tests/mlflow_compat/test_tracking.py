"""Tracking through the fluent API and MlflowClient: experiments, runs (nested),
params, metrics with steps, tags, batches, datasets, search, history, delete/restore."""

from __future__ import annotations

import math

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from modelyard.domain.entities import ANONYMOUS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_fluent_tracking_flow(mlflow_url: str, mc: MlflowClient) -> None:
    exp = mlflow.set_experiment("churn")  # get-by-name answers 404, then create
    assert exp.name == "churn" and exp.experiment_id != "0"
    assert mlflow.set_experiment("churn").experiment_id == exp.experiment_id

    with mlflow.start_run(run_name="parent") as parent:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_params({"depth": 3, "kind": "tree"})
        for step in range(3):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=2)
        mlflow.set_tag("team", "risk")
        mlflow.set_tags({"a": "1", "b": "2"})
        with mlflow.start_run(run_name="child", nested=True) as child:
            mlflow.log_metric("acc", 0.7)

    run = mc.get_run(parent.info.run_id)
    assert run.info.status == "FINISHED" and run.info.end_time >= run.info.start_time
    assert run.info.run_name == "parent" and run.info.experiment_id == exp.experiment_id
    assert run.data.params == {"alpha": "0.5", "depth": "3", "kind": "tree"}
    assert run.data.metrics == {"loss": pytest.approx(1 / 3), "acc": 0.9, "f1": 0.8}
    assert run.data.tags["team"] == "risk" and run.data.tags["b"] == "2"
    assert run.info.artifact_uri == (
        f"mlflow-artifacts:/{exp.experiment_id}/{parent.info.run_id}/artifacts")
    kid = mc.get_run(child.info.run_id)
    assert kid.data.tags["mlflow.parentRunId"] == parent.info.run_id

    history = mc.get_metric_history(parent.info.run_id, "loss")
    assert [(m.step, round(m.value, 3)) for m in history] == [(0, 1.0), (1, 0.5), (2, 0.333)]
    assert all(m.timestamp > 1_600_000_000_000 for m in history)


def test_log_batch_and_run_status(mc: MlflowClient) -> None:
    exp_id = mc.create_experiment("batch", tags={"k": "v"})
    run = mc.create_run(exp_id, run_name="b")
    metrics = [Metric("m", float(i), 1_700_000_000_000 + i, i) for i in range(1000)]
    mc.log_batch(run.info.run_id, metrics=metrics, params=[Param("p", "1")],
                 tags=[RunTag("t", "x")])
    mc.log_metric(run.info.run_id, "weird", math.nan)
    mc.log_metric(run.info.run_id, "big", math.inf)
    assert len(mc.get_metric_history(run.info.run_id, "m")) == 1000
    got = mc.get_run(run.info.run_id)
    assert got.data.metrics["m"] == 999.0 and math.isnan(got.data.metrics["weird"])
    assert got.data.metrics["big"] == math.inf and got.data.params == {"p": "1"}

    mc.set_terminated(run.info.run_id, "FAILED")
    assert mc.get_run(run.info.run_id).info.status == "FAILED"
    mc.update_run(run.info.run_id, status="KILLED", name="renamed")
    got = mc.get_run(run.info.run_id).info
    assert (got.status, got.run_name) == ("KILLED", "renamed")
    mc.delete_tag(run.info.run_id, "t")
    assert "t" not in mc.get_run(run.info.run_id).data.tags
    with pytest.raises(MlflowException) as exc:
        mc.log_param(run.info.run_id, "p", "2")  # params are immutable, as in MLflow
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_runs_metrics_carry_the_step_and_time_of_the_latest_value(mc: MlflowClient
                                                                      ) -> None:
    """MLflow answers each latest metric with its step and timestamp (get-run and
    search-runs alike): the highest (step, timestamp, value) wins."""
    exp_id = mc.create_experiment("latest-points")
    rid = mc.create_run(exp_id).info.run_id
    mc.log_batch(rid, metrics=[Metric("loss", 0.5, 1_700_000_000_500, 3),
                               Metric("loss", 0.9, 1_700_000_000_900, 1),
                               Metric("acc", 0.1, 1_700_000_000_100, 0)])
    mc.log_metric(rid, "acc", 0.2, timestamp=1_700_000_000_200, step=0)
    for run in (mc.get_run(rid), mc.search_runs([exp_id])[0]):
        points = {m.key: (m.value, m.step, m.timestamp) for m in run.data._metric_objs}
        assert points == {"loss": (0.5, 3, 1_700_000_000_500),
                          "acc": (0.2, 0, 1_700_000_000_200)}


def test_a_status_update_keeps_the_end_time_the_run_has(mlflow_url: str,
                                                         mc: MlflowClient) -> None:
    exp_id = mc.create_experiment("end-times")
    rid = mc.create_run(exp_id, start_time=1_700_000_000_000).info.run_id
    mc.set_terminated(rid, "FINISHED", end_time=1_700_000_001_000)
    r = httpx.post(f"{mlflow_url}/api/2.0/mlflow/runs/update",
                   json={"run_id": rid, "status": "FAILED"})
    assert r.status_code == 200 and r.json()["run_info"]["end_time"] == 1_700_000_001_000
    assert mc.get_run(rid).info.end_time == 1_700_000_001_000
    ongoing = mc.create_run(exp_id).info.run_id  # a run without one ends when it is told
    mc.update_run(ongoing, status="KILLED")
    assert mc.get_run(ongoing).info.end_time >= mc.get_run(ongoing).info.start_time
    for status in ("RUNNING", "FINISHED"):  # resumed, then ended again: it ends now
        httpx.post(f"{mlflow_url}/api/2.0/mlflow/runs/update",
                   json={"run_id": rid, "status": status}).raise_for_status()
    assert mc.get_run(rid).info.end_time > 1_700_000_001_000


def test_search_runs_and_experiments(mc: MlflowClient) -> None:
    a = mc.create_experiment("search-a")
    b = mc.create_experiment("search-b", tags={"team": "risk"})
    ids = []
    for i in range(6):
        r = mc.create_run(a if i < 4 else b, run_name=f"r{i}")
        mc.log_metric(r.info.run_id, "acc", i / 10)
        mc.log_param(r.info.run_id, "model", "tree" if i % 2 else "linear")
        ids.append(r.info.run_id)

    runs = mc.search_runs([a, b], "metrics.acc > 0.15", order_by=["metrics.acc DESC"])
    assert [r.info.run_name for r in runs] == ["r5", "r4", "r3", "r2"]
    runs = mc.search_runs([a], "params.model = 'tree' AND attributes.run_name != 'r1'")
    assert [r.info.run_name for r in runs] == ["r3"]
    page = mc.search_runs([a, b], max_results=4, order_by=["attributes.run_name ASC"])
    rest = mc.search_runs([a, b], max_results=4, order_by=["attributes.run_name ASC"],
                          page_token=page.token)
    assert [r.info.run_name for r in page] + [r.info.run_name for r in rest] == [
        f"r{i}" for i in range(6)]

    mc.delete_run(ids[0])
    assert ids[0] not in [r.info.run_id for r in mc.search_runs([a])]
    assert mc.get_run(ids[0]).info.lifecycle_stage == "deleted"
    deleted = mc.search_runs([a], run_view_type=mlflow.entities.ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [ids[0]]
    mc.restore_run(ids[0])
    assert mc.get_run(ids[0]).info.lifecycle_stage == "active"

    exps = mc.search_experiments(filter_string="name LIKE 'search-%'", order_by=["name DESC"])
    assert [e.name for e in exps] == ["search-b", "search-a"]
    assert [e.name for e in mc.search_experiments(filter_string="tags.team = 'risk'")] == [
        "search-b"]
    mc.rename_experiment(a, "search-a2")
    mc.set_experiment_tag(a, "x", "y")
    got = mc.get_experiment(a)
    assert got.name == "search-a2" and got.tags["x"] == "y"
    mc.delete_experiment_tag(a, "x")
    assert "x" not in mc.get_experiment(a).tags
    mc.delete_experiment(b)
    assert mc.get_experiment(b).lifecycle_stage == "deleted"
    mc.restore_experiment(b)
    with pytest.raises(MlflowException) as exc:
        mc.search_runs([a], "metrics.acc >>> 1")
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as exc:
        mc.get_run("f" * 32)
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as exc:
        mc.create_experiment("search-a2")
    assert exc.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_log_input_dataset_is_a_modelyard_dataset(mlflow_url: str, services) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    df = pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(df, name="toy", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    got = mlflow.get_run(run.info.run_id)
    (inp,) = got.inputs.dataset_inputs
    assert inp.dataset.name == "toy" and inp.dataset.digest == dataset.digest
    assert {t.key: t.value for t in inp.tags}["mlflow.data.context"] == "training"
    # First-class in modelyard: the same run and dataset, through the domain services.
    native = services.tracking.get_run(ANONYMOUS, run.info.run_id)
    assert [(i["name"], i["digest"], i["context"]) for i in native.inputs] == [
        ("toy", dataset.digest, "training")]
