"""modelyard.start_run / autolog / datasets end to end, and the tracking CLI."""

from __future__ import annotations

import json
import subprocess

import pytest

import modelyard
from modelyard import Conflict
from modelyard.cli.main import main


@pytest.fixture
def tracking_uri(server_url):
    before = modelyard.get_tracking_uri()
    modelyard.set_tracking_uri(server_url)
    yield server_url
    while modelyard.active_run():
        modelyard.end_run()
    modelyard.set_tracking_uri(before)


def _git_repo(path):
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "train.py").write_text("print('v1')\n")
    subprocess.run(["git", "-C", str(path), "add", "train.py"], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.email=a@b", "-c", "user.name=a",
                    "commit", "-q", "-m", "init"], check=True)
    (path / "train.py").write_text("print('v2')\n")  # uncommitted change: dirty
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_issue_example_end_to_end(tracking_uri, tmp_path, monkeypatch, services):
    commit = _git_repo(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "training.csv").write_text("amount,label\n1.5,0\n2.5,1\n,0\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "confusion.png").write_bytes(b"png")
    (tmp_path / "model_dir").mkdir()
    (tmp_path / "model_dir" / "model.bin").write_bytes(b"weights" * 100)
    losses = [1.0, 0.5, 0.25]
    with modelyard.start_run(experiment="fraud-detection") as run:
        assert modelyard.active_run() is run
        ds = run.log_dataset("data/training.csv", name="transactions")
        run.log_params({"n_estimators": 100, "max_depth": 8})
        for step, loss in enumerate(losses):
            run.log_metric("loss", loss, step=step)
        run.log_metrics({"auc": 0.97, "f1": 0.91})
        run.log_artifact("reports/confusion.png")
        blobs_before = len(list(services.blobs.iter_blobs()))
        v = run.register_model("model_dir/", name="fraud-detection")
        with pytest.raises(Conflict):
            modelyard.start_run()
        with modelyard.start_run(nested=True) as child:
            pass
    assert modelyard.active_run() is None
    c = modelyard.get_client()
    got = c.get_run(run.run_id)
    assert got.status == "FINISHED" and got.end_time
    assert got.tags["mlflow.source.git.commit"] == commit
    assert got.tags["modelyard.git.dirty"] == "true"
    assert got.params == {"n_estimators": "100", "max_depth": "8"}
    assert got.metrics == {"loss": 0.25, "auc": 0.97, "f1": 0.91}
    assert [m.value for m in c.get_metric_history(run.run_id, "loss")] == losses
    assert got.inputs[0]["name"] == "transactions" and got.inputs[0]["context"] == "training"
    assert ds.profile["rows"] == 3 and ds.profile["schema"] == {"amount": "float", "label": "integer"}
    assert ds.profile["columns"][0]["nulls"] == 1
    paths = {f.path for f in c.run_artifact_files(run.run_id)}
    assert {"confusion.png", "model_dir/model.bin", "environment/requirements.txt"} <= paths
    assert v.run_id == run.run_id and v.source == f"runs:/{run.run_id}/model_dir"
    # the model's bytes were uploaded once, as run artifacts; registering copied nothing
    assert len(list(services.blobs.iter_blobs())) == blobs_before + 1
    assert c.get_run(child.run_id).parent_run_id == run.run_id
    e = c.get_experiment_by_name("fraud-detection")
    assert got.experiment_id == e.experiment_id


def test_failed_run_status(tracking_uri):
    with pytest.raises(RuntimeError), modelyard.start_run(log_environment=False) as run:
        raise RuntimeError("boom")
    assert modelyard.get_client().get_run(run.run_id).status == "FAILED"


def test_autolog_sklearn(tracking_uri):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_iris(return_X_y=True)
    modelyard.autolog(registered_model_name="iris-autolog")
    try:
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(X, y)
    finally:
        modelyard.autolog(disable=True)
    c = modelyard.get_client()
    runs = c.search_runs(["0"], "tags.`modelyard.autolog` = 'sklearn'").items
    assert len(runs) == 1  # the inner fits of the pipeline are not separate runs
    run = runs[0]
    assert run.status == "FINISHED"
    assert run.params["logisticregression__max_iter"] == "200"
    assert run.metrics["training_accuracy_score"] > 0.9
    files = {f.path for f in c.run_artifact_files(run.run_id, "model")}
    assert "model/model.skops" in files and not any(p.endswith(".pkl") for p in files)
    v = c.get_version("iris-autolog", 1)
    assert v.run_id == run.run_id and v.flavor == "sklearn"
    loaded = modelyard.load_model("models:/iris-autolog/1")
    assert list(loaded.predict(X[:2])) == [0, 0]


def test_autolog_inside_a_user_run(tracking_uri):
    from sklearn.datasets import load_diabetes
    from sklearn.tree import DecisionTreeRegressor

    X, y = load_diabetes(return_X_y=True)
    modelyard.autolog(log_models=False)
    try:
        with modelyard.start_run(log_environment=False) as run:
            DecisionTreeRegressor(max_depth=3).fit(X, y)
    finally:
        modelyard.autolog(disable=True)
    got = modelyard.get_client().get_run(run.run_id)
    assert got.params["max_depth"] == "3" and "training_r2_score" in got.metrics


def test_dataset_versions_are_content_addressed(client, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    folder = tmp_path / "ds"
    folder.mkdir()
    pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", None]}).to_parquet(folder / "part.parquet")
    (folder / "README").write_text("about")
    v1 = client.log_dataset(folder, "tables")
    again = client.log_dataset(folder, "tables")
    assert (v1.version, again.version, again.digest) == (1, 1, v1.digest)
    assert v1.profile["rows"] == 3 and v1.profile["schema"]["x"] == "int64"
    cols = {c["name"]: c for c in v1.profile["columns"]}
    assert (cols["x"]["min"], cols["x"]["max"], cols["y"]["nulls"]) == (1, 3, 1)
    (folder / "README").write_text("changed")
    v2 = client.log_dataset(folder, "tables")
    assert v2.version == 2 and v2.digest != v1.digest
    assert [v.version for v in client.list_dataset_versions("tables")] == [2, 1]
    assert {f.path for f in client.get_dataset_version("tables", 1).files} == {"README", "part.parquet"}
    assert client.get_dataset("tables").latest_version == 2
    run = client.create_run("0")
    client.log_inputs(run.run_id, [{"name": "tables", "version": 1, "context": "eval"},
                                   {"name": "external", "digest": "d1g3st", "source": "s3://b/k",
                                    "source_type": "s3", "context": "training"}])
    inputs = {i["name"]: i for i in client.get_run(run.run_id).inputs}
    assert inputs["tables"]["context"] == "eval" and inputs["external"]["digest"] == "d1g3st"


def test_cli_experiments_runs_compare_datasets(server_url, tmp_path, capsys):
    def run_cli(*args):
        main(["--uri", server_url, *args])
        return capsys.readouterr().out

    eid = run_cli("experiments", "create", "cli-exp").strip()
    assert eid.isdigit()
    c = modelyard.Client(server_url)
    a = c.create_run(eid, run_name="a")
    b = c.create_run(eid, run_name="b")
    c.log_batch(a.run_id, metrics=[{"key": "auc", "value": 0.9}], params=[("depth", "8"), ("lr", "0.1")])
    c.log_batch(b.run_id, metrics=[{"key": "auc", "value": 0.95}], params=[("depth", "6"), ("lr", "0.1")])
    out = run_cli("runs", "compare", a.run_id, b.run_id)
    assert "params.depth" in out and "metrics.auc" in out and "params.lr" not in out
    data = json.loads(run_cli("--json", "runs", "compare", a.run_id, b.run_id))
    assert data["params"] == {"depth": ["8", "6"]}
    out = run_cli("runs", "list", "cli-exp", "--filter", "metrics.auc > 0.92")
    assert b.run_id in out and a.run_id not in out
    assert "cli-exp" in run_cli("experiments", "list")
    csv = tmp_path / "t.csv"
    csv.write_text("a\n1\n")
    assert run_cli("datasets", "register", str(csv), "--name", "t", "--run-id", a.run_id).strip() == "t/1"
    assert "t" in run_cli("datasets", "list")
    run_cli("runs", "note", a.run_id, "baseline, depth 8")
    assert c.get_run(a.run_id).tags["mlflow.note.content"] == "baseline, depth 8"
    run_cli("runs", "delete", a.run_id)
    assert c.get_run(a.run_id).lifecycle_stage == "deleted"
    run_cli("experiments", "delete", "cli-exp")
    assert "cli-exp" in run_cli("experiments", "list", "--deleted")
    c.close()
