"""Experiment tracking through the SDK, over the in-process and HTTP clients, on every
database backend."""

from __future__ import annotations

import math

import pytest

from modelyard import AlreadyExists, InvalidParameter, NotFound
from modelyard.domain.entities import Metric


def test_experiments_lifecycle(client):
    default = client.get_experiment("0")
    assert (default.experiment_id, default.name) == ("0", "Default")
    e = client.create_experiment("fraud", tags={"team": "risk"})
    assert e.experiment_id.isdigit() and e.experiment_id != "0"
    assert client.get_experiment_by_name("fraud").tags == {"team": "risk"}
    with pytest.raises(AlreadyExists):
        client.create_experiment("fraud")
    with pytest.raises(NotFound):
        client.get_experiment("999")
    with pytest.raises(NotFound):
        client.get_experiment_by_name("nope")
    client.set_experiment_tag(e.experiment_id, "owner", "ana")
    renamed = client.rename_experiment(e.experiment_id, "card-fraud")
    assert renamed.name == "card-fraud" and renamed.tags == {"team": "risk", "owner": "ana"}
    client.delete_experiment(e.experiment_id)
    assert client.get_experiment(e.experiment_id).lifecycle_stage == "deleted"
    names = lambda **kw: {x.name for x in client.search_experiments(**kw)}  # noqa: E731
    assert names() == {"Default"}
    assert names(deleted=True) == {"card-fraud"}
    assert names(deleted=None) == {"Default", "card-fraud"}
    with pytest.raises(InvalidParameter):
        client.create_run(e.experiment_id)
    client.restore_experiment(e.experiment_id)
    assert names(filter="name LIKE 'card%'") == {"card-fraud"}
    assert names(filter="tags.owner = 'ana'") == {"card-fraud"}
    with pytest.raises(InvalidParameter):
        client.delete_experiment("0")
    with pytest.raises(InvalidParameter):
        client.get_experiment("abc")


def test_experiment_ids_are_increasing_numbers(client):
    ids = [int(client.create_experiment(f"e{i}").experiment_id) for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3 and min(ids) >= 1


def test_run_lifecycle_params_tags(client):
    e = client.create_experiment("exp")
    run = client.create_run(e.experiment_id, run_name="first", tags={"k": "v"})
    assert len(run.run_id) == 32 and run.status == "RUNNING" and run.start_time > 0
    assert run.run_name == "first" and run.tags["k"] == "v" and run.end_time is None
    client.log_params(run.run_id, {"n_estimators": 100, "max_depth": 8, "lr": 0.1})
    client.log_param(run.run_id, "max_depth", 8)  # same value: fine
    with pytest.raises(InvalidParameter, match="immutable"):
        client.log_param(run.run_id, "max_depth", 9)
    client.set_run_tag(run.run_id, "note", "x" * 8000)
    with pytest.raises(InvalidParameter, match="8000"):
        client.set_run_tag(run.run_id, "note", "x" * 8001)
    client.log_param(run.run_id, "long", "p" * 6000)
    with pytest.raises(InvalidParameter, match="6000"):
        client.log_param(run.run_id, "longer", "p" * 6001)
    client.delete_run_tag(run.run_id, "k")
    with pytest.raises(NotFound):
        client.delete_run_tag(run.run_id, "k")
    got = client.get_run(run.run_id)
    assert got.params["n_estimators"] == "100" and got.params["lr"] == "0.1"
    assert "k" not in got.tags and got.tags["mlflow.runName"] == "first"
    done = client.update_run(run.run_id, status="FINISHED")
    assert done.status == "FINISHED" and done.end_time >= done.start_time
    with pytest.raises(InvalidParameter):
        client.update_run(run.run_id, status="DONE")
    child = client.create_run(e.experiment_id, parent_run_id=run.run_id)
    assert client.get_run(child.run_id).parent_run_id == run.run_id
    with pytest.raises(NotFound):
        client.get_run("0" * 32)


def test_batch_is_one_transaction(client):
    run = client.create_run("0")
    client.log_param(run.run_id, "a", "1")
    with pytest.raises(InvalidParameter):
        client.log_batch(run.run_id, metrics=[Metric("m", 1.0, 0, 1)],
                         params=[("b", "2"), ("a", "changed")], tags=[("t", "x")])
    got = client.get_run(run.run_id)
    assert got.metrics == {} and "b" not in got.params and "t" not in got.tags
    with pytest.raises(InvalidParameter):
        client.log_batch(run.run_id, params=[("c", "1"), ("c", "2")])


def test_metric_series_latest_nan_inf_and_paging(client):
    run = client.create_run("0")
    points = [{"key": "loss", "value": 1.0 / (i + 1), "step": i, "timestamp": 1000 + i}
              for i in range(10_000)]
    client.log_batch(run.run_id, metrics=points)  # one request, one transaction
    client.log_metric(run.run_id, "loss", 5.0, step=3)  # an old step does not become latest
    client.log_metrics(run.run_id, {"nan": math.nan, "pinf": math.inf, "ninf": -math.inf})
    got = client.get_run(run.run_id)
    assert got.metrics["loss"] == pytest.approx(1 / 10_000)
    assert math.isnan(got.metrics["nan"])
    assert got.metrics["pinf"] == math.inf and got.metrics["ninf"] == -math.inf
    first = client.get_metric_history(run.run_id, "loss", max_results=4000)
    assert len(first.items) == 4000 and first.next_page_token
    history = list(client.iter_metric_history(run.run_id, "loss", page_size=4000))
    assert len(history) == 10_001
    assert [m.step for m in history] == sorted(m.step for m in history)
    assert [m.value for m in history if m.step == 3] == [0.25, 5.0]
    nan_hist = client.get_metric_history(run.run_id, "nan").items
    assert len(nan_hist) == 1 and math.isnan(nan_hist[0].value)


def test_writes_to_deleted_run_are_refused_and_restore(client):
    run = client.create_run("0")
    client.delete_run(run.run_id)
    assert client.get_run(run.run_id).lifecycle_stage == "deleted"
    with pytest.raises(InvalidParameter, match="deleted"):
        client.log_metric(run.run_id, "m", 1.0)
    assert client.search_runs(["0"]).items == []
    assert [r.run_id for r in client.search_runs(["0"], deleted=True)] == [run.run_id]
    client.restore_run(run.run_id)
    client.log_metric(run.run_id, "m", 1.0)
    assert client.get_run(run.run_id).metrics == {"m": 1.0}


def test_search_runs_filters_order_paging(client):
    e = client.create_experiment("search")
    ids = []
    for i in range(7):
        r = client.create_run(e.experiment_id, run_name=f"r{i}", start_time=1000 + i)
        client.log_batch(r.run_id, metrics=[{"key": "auc", "value": 0.8 + i / 100, "step": 0,
                                             "timestamp": 1}],
                         params=[("max_depth", str(i % 3))], tags=[("team", "a" if i < 4 else "b")])
        ids.append(r.run_id)
    page = client.search_runs([e.experiment_id], "metrics.auc > 0.83 AND params.max_depth = '1'")
    assert [r.run_name for r in page] == ["r4"]
    page = client.search_runs([e.experiment_id], "tags.team = 'a'", ["metrics.auc DESC"])
    assert [r.run_name for r in page] == ["r3", "r2", "r1", "r0"]
    page = client.search_runs([e.experiment_id], "attributes.status = 'RUNNING' AND run_name LIKE 'r%'",
                              ["start_time ASC"], max_results=3)
    assert [r.run_name for r in page] == ["r0", "r1", "r2"] and page.next_page_token
    rest = client.search_runs([e.experiment_id], "run_name LIKE 'r%'", ["start_time ASC"],
                              max_results=3, page_token=page.next_page_token)
    assert [r.run_name for r in rest] == ["r3", "r4", "r5"]
    assert len(client.search_runs([e.experiment_id], f"attributes.run_id = '{ids[2]}'").items) == 1
    assert [r.run_name for r in client.search_runs([e.experiment_id], "metrics.missing > 0")] == []
    client.create_run(e.experiment_id, run_name="nometric", start_time=5)
    last = client.search_runs([e.experiment_id], order_by=["metrics.auc ASC"]).items[-1]
    assert last.run_name == "nometric"  # missing values sort last
    with pytest.raises(InvalidParameter):
        client.search_runs([e.experiment_id], "params.max_depth > '1'")
    with pytest.raises(InvalidParameter):
        client.search_runs([e.experiment_id], "bogus = 1")


def test_run_artifacts_and_register_model_without_copy(client, tmp_path, model_dir):
    run = client.create_run("0")
    report = tmp_path / "confusion.png"
    report.write_bytes(b"\x89PNG fake")
    client.log_artifact(run.run_id, report, "reports")
    client.log_metrics(run.run_id, {"auc": 0.97})
    v = client.log_model_dir(run.run_id, model_dir, "fraud-detection", artifact_path="model")
    assert v.run_id == run.run_id and v.source == f"runs:/{run.run_id}/model"
    assert v.metrics == {"auc": 0.97}
    top = client.list_run_artifacts(run.run_id)
    assert top == [{"path": "model", "is_dir": True, "size": None},
                   {"path": "reports", "is_dir": True, "size": None}]
    assert client.list_run_artifacts(run.run_id, "reports") == [
        {"path": "reports/confusion.png", "is_dir": False, "size": 9}]
    run_files = {f.path: f.sha256 for f in client.run_artifact_files(run.run_id, "model")}
    version_files = {f.path: f.sha256 for f in client.get_version("fraud-detection", v.version).files}
    assert {f"model/{p}": d for p, d in version_files.items()} == run_files
    assert client.read_run_artifact(run.run_id, "reports/confusion.png") == b"\x89PNG fake"
    assert client.read_file(f"fraud-detection/{v.version}", "MLmodel") == b"flavor: test\n"
    with pytest.raises(NotFound):
        client.read_run_artifact(run.run_id, "reports/nope.png")
    out = client.download_run_artifacts(run.run_id, "model", tmp_path / "dl")
    assert (out / "model" / "weights" / "w.bin").read_bytes() == \
        (model_dir / "weights" / "w.bin").read_bytes()
    for bad in ("../x", "/etc/passwd", "a/../../b"):
        with pytest.raises(InvalidParameter):
            client.list_run_artifacts(run.run_id, bad)


def test_run_artifact_folders_named_like_sql_wildcards(client, tmp_path):
    """A folder's files are matched by a LIKE on the path: ``_`` and ``%`` in a folder
    name are literal characters there, on every database."""
    run = client.create_run("0")
    f = tmp_path / "f.txt"
    f.write_text("x")
    folders = ["a_b", "axb", "a%b", "azzb", "a_bc", "a_/b", "a/b"]
    for folder in folders:
        client.log_artifact(run.run_id, f, folder)
    for folder in folders:
        got = [e.path for e in client.run_artifact_files(run.run_id, folder)]
        assert got == [f"{folder}/f.txt"], folder
    assert [e.path for e in client.run_artifact_files(run.run_id, "a")] == ["a/b/f.txt"]


def test_compare_runs(client):
    a, b = client.create_run("0"), client.create_run("0")
    client.log_batch(a.run_id, metrics=[{"key": "auc", "value": 0.9}],
                     params=[("depth", "8"), ("seed", "1")])
    client.log_batch(b.run_id, metrics=[{"key": "auc", "value": 0.95}],
                     params=[("depth", "6"), ("seed", "1")])
    diff = client.compare_runs([a.run_id, b.run_id])
    assert diff["params"] == {"depth": ["8", "6"]}
    assert diff["metrics"] == {"auc": [0.9, 0.95]}


def test_gc_keeps_run_artifact_and_dataset_blobs(client, tmp_path):
    run = client.create_run("0")
    art = tmp_path / "a.txt"
    art.write_text("artifact bytes")
    data = tmp_path / "d.csv"
    data.write_text("x\n1\n")
    client.log_artifact(run.run_id, art)
    client.log_dataset(data, "d", run_id=run.run_id)
    client.delete_run(run.run_id)
    client.gc(grace_seconds=0, force=True)
    assert client.read_run_artifact(run.run_id, "a.txt") == b"artifact bytes"
    dv = client.get_dataset_version("d", 1)
    assert client.missing_blobs([f.sha256 for f in dv.files]) == []


def test_rest_runs_shapes_and_errors(http):
    r = http.post("/api/v1/experiments", json={"name": "rest", "tags": {"a": "b"}})
    assert r.status_code == 201
    eid = r.json()["experiment"]["experiment_id"]
    run = http.post("/api/v1/runs", json={"experiment_id": eid, "run_name": "x"}).json()["run"]
    rid = run["run_id"]
    assert set(run) >= {"run_id", "experiment_id", "run_name", "status", "start_time", "end_time",
                        "lifecycle_stage", "user_id", "params", "metrics", "tags", "parent_run_id",
                        "inputs"}
    body = b'{"metrics": [{"key": "m", "value": NaN, "step": 0, "timestamp": 1}], ' \
           b'"params": [{"key": "p", "value": "1"}], "tags": [{"key": "t", "value": "v"}]}'
    r = http.post(f"/api/v1/runs/{rid}/batch", content=body,
                  headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    assert b'"m":NaN' in http.get(f"/api/v1/runs/{rid}").content
    r = http.post(f"/api/v1/runs/{rid}/params", json={"key": "p", "value": "2"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = http.post(f"/api/v1/runs/{rid}/params", json={"key": "q", "value": "x" * 6001})
    assert r.status_code == 400 and "6000" in r.json()["message"]
    r = http.post(f"/api/v1/runs/{rid}/batch", content=b"metrics=1",
                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    r = http.post("/api/v1/runs/search", json={"experiment_ids": [eid],
                                               "filter": "params.p = '1'"})
    assert [x["run_id"] for x in r.json()["runs"]] == [rid]
    hist = http.get(f"/api/v1/runs/{rid}/metrics/m/history").json()
    assert hist["metrics"][0]["step"] == 0
    assert http.get("/api/v1/runs/" + "f" * 32).status_code == 404
    assert http.get("/api/v1/experiments", params={"deleted": "maybe"}).status_code == 400
    assert http.get("/api/v1/experiments/by-name/rest").json()["experiment"]["tags"] == {"a": "b"}
