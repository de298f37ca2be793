"""Runs' inputs and outputs as MLflow 3 keeps them, through the real mlflow client and
raw REST: datasets with schema, profile and input tags; the logged models a run read
and produced; metrics logged for a logged model; logged-model params; search of
logged models by dataset and metric; a registered version recorded on its model."""

from __future__ import annotations

import json

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
)
from mlflow.exceptions import MlflowException

from modelyard.domain.entities import ANONYMOUS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _dataset():  # type: ignore[no-untyped-def]
    import pandas as pd

    df = pd.DataFrame({"a": [1, 2, 3], "b": [0.1, 0.2, 0.3]})
    return mlflow.data.from_pandas(df, source="s3://bucket/data.csv", name="train-ds",
                                   targets="b")


SCHEMA = json.dumps({"mlflow_colspec": [{"type": "long", "name": "a", "required": True}]})
PROFILE = json.dumps({"num_rows": 3, "num_elements": 6})


def _input(context: str, **tags: str) -> DatasetInput:
    ds = Dataset("train-ds", "244437a9", "s3", json.dumps({"uri": "s3://bucket/data.csv"}),
                 schema=SCHEMA, profile=PROFILE)
    return DatasetInput(ds, [InputTag("mlflow.data.context", context),
                             *[InputTag(k, v) for k, v in tags.items()]])


def test_inputs_and_outputs_of_a_run(mlflow_url: str, mc: MlflowClient, services) -> None:  # type: ignore[no-untyped-def]
    exp = mc.create_experiment("io")
    with mlflow.start_run(experiment_id=exp) as run:
        mc.log_inputs(run.info.run_id, [_input("training", split="train", owner="me")])
        mc.log_inputs(run.info.run_id, [_input("again", split="other")])  # kept as first
        lm = mc.create_logged_model(exp, name="m1", source_run_id=run.info.run_id)
        mc.log_outputs(run.info.run_id, [LoggedModelOutput(lm.model_id, 3)])
        mc.log_inputs(run.info.run_id, models=[LoggedModelInput(lm.model_id)])
    rid = run.info.run_id

    got = mc.get_run(rid)
    (inp,) = got.inputs.dataset_inputs
    assert {t.key: t.value for t in inp.tags} == {
        "mlflow.data.context": "training", "split": "train", "owner": "me"}
    assert (inp.dataset.schema, inp.dataset.profile) == (SCHEMA, PROFILE)
    assert (inp.dataset.source_type, json.loads(inp.dataset.source)) == (
        "s3", {"uri": "s3://bucket/data.csv"})
    assert [m.model_id for m in got.inputs.model_inputs] == [lm.model_id]
    assert [(o.model_id, o.step) for o in got.outputs.model_outputs] == [(lm.model_id, 3)]
    (found,) = mc.search_runs([exp])
    assert [(o.model_id, o.step) for o in found.outputs.model_outputs] == [(lm.model_id, 3)]
    assert [m.model_id for m in found.inputs.model_inputs] == [lm.model_id]

    native = services.tracking.get_run(ANONYMOUS, rid)
    assert native.model_inputs == [lm.model_id]
    assert native.model_outputs == [{"model_id": lm.model_id, "step": 3}]
    assert native.inputs[0]["tags"] == {"split": "train", "owner": "me"}

    with httpx.Client(base_url=f"{mlflow_url}/api/2.0/mlflow") as http:
        raw = http.get("/runs/get", params={"run_id": rid}).json()["run"]
        made = http.post("/runs/create", json={"experiment_id": exp}).json()["run"]
        empty = http.get("/runs/get", params={"run_id": made["info"]["run_id"]}).json()["run"]
    assert raw["outputs"] == {"model_outputs": [{"model_id": lm.model_id, "step": 3}]}
    # Empty lists are left out, as protobuf's JSON writes them; create has no outputs.
    assert (made["inputs"], "outputs" in made) == ({}, False)
    assert (empty["inputs"], empty["outputs"]) == ({}, {})


def test_metrics_logged_for_a_logged_model(mlflow_url: str, mc: MlflowClient) -> None:
    ds = _dataset()
    exp = mc.create_experiment("lm-metrics")
    with mlflow.start_run(experiment_id=exp) as run:
        lm = mc.create_logged_model(exp, name="m", source_run_id=run.info.run_id)
        other = mc.create_logged_model(exp, name="other")
        mlflow.log_metric("acc", 0.9, step=1, model_id=lm.model_id, dataset=ds)
        mlflow.log_metric("loss", 0.2, step=1, model_id=lm.model_id)
        mc.log_batch(run.info.run_id, metrics=[
            Metric("f1", 0.5, 1234, 2, model_id=lm.model_id, dataset_name="held-out",
                   dataset_digest="abc"),
            Metric("f1", 0.1, 1234, 2, model_id=other.model_id, dataset_name="held-out",
                   dataset_digest="xyz")])
        with pytest.raises(MlflowException) as exc:  # nothing of the batch is kept
            mc.log_batch(run.info.run_id, metrics=[
                Metric("f1", 0.7, 99, 0), Metric("f1", 0.7, 99, 0, model_id="m-" + "0" * 32)])
        assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    points = {(m.key, m.value, m.step, m.dataset_name, m.dataset_digest, m.run_id, m.model_id)
              for m in mc.get_logged_model(lm.model_id).metrics}
    rid = run.info.run_id
    assert points == {("acc", 0.9, 1, "train-ds", ds.digest, rid, lm.model_id),
                      ("loss", 0.2, 1, None, None, rid, lm.model_id),
                      ("f1", 0.5, 2, "held-out", "abc", rid, lm.model_id)}
    # The client records a model a metric names as a model input of the run.
    assert [m.model_id for m in mc.get_run(rid).inputs.model_inputs] == [lm.model_id]
    # the run keeps them too (once), not the refused batch
    assert mc.get_run(rid).data.metrics == {"acc": 0.9, "loss": 0.2, "f1": 0.5}
    assert len(mc.get_metric_history(rid, "f1")) == 2

    def ids(**kw):  # type: ignore[no-untyped-def]
        return sorted(m.name for m in mc.search_logged_models(experiment_ids=[exp], **kw))

    assert ids(datasets=[{"dataset_name": "train-ds"}]) == ["m"]
    assert ids(datasets=[{"dataset_name": "held-out", "dataset_digest": "xyz"}]) == ["other"]
    assert ids(datasets=[{"dataset_name": "held-out"}]) == ["m", "other"]
    assert ids(datasets=[{"dataset_name": "nowhere"}]) == []
    assert ids(filter_string="metrics.f1 > 0.3") == ["m"]
    assert ids(filter_string="metrics.acc > 0.5",
               datasets=[{"dataset_name": "held-out"}]) == []
    ordered = mc.search_logged_models(experiment_ids=[exp], order_by=[
        {"field_name": "metrics.f1", "ascending": True}])
    assert [m.name for m in ordered] == ["other", "m"]
    # an order key's own dataset: only "m" has f1 on digest abc, the other comes last
    ordered = mc.search_logged_models(experiment_ids=[exp], order_by=[
        {"field_name": "metrics.f1", "ascending": True, "dataset_name": "held-out",
         "dataset_digest": "abc"}])
    assert [m.name for m in ordered] == ["m", "other"]
    with httpx.Client(base_url=f"{mlflow_url}/api/2.0/mlflow") as http:
        bad = http.post("/logged-models/search", json={
            "experiment_ids": [exp], "datasets": [{"dataset_digest": "abc"}]})
    assert bad.status_code == 400 and "dataset_name" in bad.json()["message"]


def test_logged_model_params_and_versions(mlflow_url: str, mc: MlflowClient) -> None:
    exp = mc.create_experiment("lm-params")
    lm = mc.create_logged_model(exp, name="m", params={"a": "1"})
    api = f"{mlflow_url}/api/2.0/mlflow/logged-models/{lm.model_id}/params"
    with httpx.Client() as http:
        ok = http.post(api, json={"model_id": lm.model_id,
                                  "params": [{"key": "lr", "value": "0.1"}]})
        assert (ok.status_code, ok.json()) == (200, {})
        same = http.post(api, json={"params": [{"key": "lr", "value": "0.1"}]})
        changed = http.post(api, json={"params": [{"key": "lr", "value": "0.2"}]})
        missing = http.post(api.replace(lm.model_id, "m-" + "0" * 32),
                            json={"params": [{"key": "x", "value": "1"}]})
    assert same.status_code == 200
    assert changed.status_code == 400 and changed.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert missing.status_code == 404
    assert mc.get_logged_model(lm.model_id).params == {"a": "1", "lr": "0.1"}
    mc.create_logged_model(exp, name="plain")
    for text in ("params.lr = '0.1'", "params.a = '1' AND params.lr LIKE '0.%'"):
        assert [m.name for m in mc.search_logged_models([exp], filter_string=text)] == ["m"]

    mc.finalize_logged_model(lm.model_id, "READY")
    mc.create_registered_model("reg")
    mc.create_model_version("reg", f"models:/{lm.model_id}", model_id=lm.model_id)
    mc.create_model_version("reg", f"models:/{lm.model_id}", model_id=lm.model_id)
    tag = mc.get_logged_model(lm.model_id).tags["mlflow.modelVersions"]
    # MLflow's server writes the version as a number
    assert json.loads(tag) == [{"name": "reg", "version": 1}, {"name": "reg", "version": 2}]
