"""Nested runs belong to their parent's experiment, through our SDK and the real
mlflow client; the module-level API finds the server from MLFLOW_TRACKING_URI."""

from __future__ import annotations

import subprocess
import sys

import pytest

import modelyard

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def tracking_uri(server_url):
    before = modelyard.get_tracking_uri()
    modelyard.set_tracking_uri(server_url)
    yield server_url
    while modelyard.active_run():
        modelyard.end_run()
    modelyard.set_tracking_uri(before)


def test_sdk_child_run_lands_in_the_parent_experiment(tracking_uri):
    with modelyard.start_run(experiment="nest-test", log_environment=False) as parent:
        with (modelyard.start_run(nested=True, log_environment=False) as child,
              modelyard.start_run(nested=True, log_environment=False) as grandchild):
            pass
        with modelyard.start_run(experiment="elsewhere", nested=True,
                                 log_environment=False) as placed:
            pass
    c = modelyard.get_client()
    exp = c.get_experiment_by_name("nest-test").experiment_id
    assert parent.experiment_id == exp != "0"
    for run in (child, grandchild):
        got = c.get_run(run.run_id)
        assert got.experiment_id == exp
    assert c.get_run(grandchild.run_id).parent_run_id == child.run_id
    # an experiment named for the child still wins
    assert c.get_run(placed.run_id).experiment_id == (
        c.get_experiment_by_name("elsewhere").experiment_id)
    listed = {r.run_id for r in c.search_runs([exp]).items}
    assert {parent.run_id, child.run_id, grandchild.run_id} <= listed


def test_mlflow_nested_run_lands_in_the_parent_experiment(server_url, monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    import mlflow.tracking.fluent as fluent

    for var in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(server_url)
    fluent._active_experiment_id = None
    try:
        mc = mlflow.MlflowClient(server_url)
        exp = mc.create_experiment("nest-test")
        # the parent names its experiment; the child names none (the client sends "0")
        with (mlflow.start_run(experiment_id=exp) as parent,
              mlflow.start_run(nested=True) as child):
            pass
        kid = mc.get_run(child.info.run_id)
        assert kid.info.experiment_id == exp
        assert kid.data.tags["mlflow.parentRunId"] == parent.info.run_id
        found = mc.search_runs([exp])
        assert {r.info.run_id for r in found} == {parent.info.run_id, child.info.run_id}
        # a run without a parent still goes to the default experiment
        assert mc.create_run("0").info.experiment_id == "0"
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)


def test_fluent_calls_fall_back_to_mlflow_tracking_uri(server_url, tmp_path):
    """A fresh process with only MLFLOW_TRACKING_URI set talks to that server."""
    code = (
        "import modelyard\n"
        "print(modelyard.get_tracking_uri())\n"
        "with modelyard.start_run(experiment='moved-over', log_environment=False) as r:\n"
        "    r.log_metric('auc', 0.9)\n"
        "print(r.run_id)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_URI": server_url,
           "PYTHONPATH": ":".join(sys.path), "MLFLOW_DISABLE_TELEMETRY": "true",
           "DO_NOT_TRACK": "true", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    uri, run_id = out.stdout.split()
    assert uri == server_url
    got = modelyard.Client(server_url).get_run(run_id)
    assert got.metrics == {"auc": 0.9}
    # MODELYARD_URI still comes first; MLflow's own stores are never taken for ours
    from modelyard.config import client_uri_from_env

    assert client_uri_from_env({"MODELYARD_URI": "http://a:1",
                                "MLFLOW_TRACKING_URI": server_url}) == "http://a:1"
    for own in ("file:./mlruns", "sqlite:///mlflow.db", "databricks"):
        assert client_uri_from_env({"MLFLOW_TRACKING_URI": own}) == "http://127.0.0.1:5000"
