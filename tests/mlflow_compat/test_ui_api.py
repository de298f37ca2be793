"""The MLflow endpoints that MLflow's web UI and some tools call, beside the REST
service: every endpoint also under ``/ajax-api/``, ``/version`` as plain text (which
the mlflow client parses), file downloads by run, version and logged model, the UI's
small upload, bulk metric histories and the datasets of experiments."""

from __future__ import annotations

import hashlib

import httpx
import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.store.tracking.rest_store import RestStore
from mlflow.utils.rest_utils import MlflowHostCreds
from packaging.version import Version

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_version_is_the_mlflow_api_version_as_plain_text(mlflow_url: str) -> None:
    resp = httpx.get(mlflow_url + "/version")
    assert resp.headers["content-type"].startswith("text/plain")
    assert Version(resp.text) >= Version("3.4")
    RestStore._get_server_version.cache_clear()
    assert RestStore._get_server_version(MlflowHostCreds(mlflow_url)) == Version(resp.text)
    native = httpx.get(mlflow_url + "/api/v1/version").json()
    assert native["mlflow_api_version"] == resp.text and native["version"]


def test_every_endpoint_answers_under_ajax_api(mlflow_url: str, mc: MlflowClient) -> None:
    exp = mc.create_experiment("ajax")
    run = mc.create_run(exp)
    mc.log_metric(run.info.run_id, "loss", 0.5)
    with httpx.Client(base_url=mlflow_url) as http:
        for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
            got = http.get(f"{prefix}/runs/get", params={"run_id": run.info.run_id}).json()
            assert got["run"]["info"]["run_id"] == run.info.run_id
            found = http.post(f"{prefix}/experiments/search", json={"max_results": 10}).json()
            assert "ajax" in {e["name"] for e in found["experiments"]}
        created = http.post("/ajax-api/2.0/mlflow/registered-models/create", json={"name": "via-ui"})
        assert created.status_code == 200
        assert mc.get_registered_model("via-ui").name == "via-ui"
        info = http.get("/ajax-api/3.0/mlflow/server-info")
        assert info.status_code == 200
        missing = http.get("/ajax-api/2.0/mlflow/runs/get", params={"run_id": "f" * 32})
        assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_artifact_downloads_by_run_version_and_logged_model(mlflow_url: str, mc: MlflowClient,
                                                             tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "notes.txt").write_text("hello from a run\n")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "notes.txt"), artifact_path="docs")
    mc.create_registered_model("files")
    mv = mc.create_model_version("files", f"runs:/{run.info.run_id}/docs", run.info.run_id)
    with httpx.Client(base_url=mlflow_url) as http:
        by_run = http.get("/get-artifact", params={"run_uuid": run.info.run_id,
                                                   "path": "docs/notes.txt"})
        assert by_run.status_code == 200 and by_run.text == "hello from a run\n"
        by_version = http.get("/model-versions/get-artifact",
                              params={"name": "files", "version": mv.version, "path": "notes.txt"})
        assert by_version.status_code == 200 and by_version.text == "hello from a run\n"
        escape = http.get("/get-artifact", params={"run_id": run.info.run_id,
                                                   "path": "../../etc/passwd"})
        assert escape.status_code == 400 and "Invalid path" in escape.json()["message"]
        gone = http.get("/get-artifact", params={"run_id": run.info.run_id, "path": "nope.txt"})
        assert gone.status_code == 404


def test_logged_model_artifact_files(mlflow_url: str, mc: MlflowClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    exp = mc.create_experiment("logged")
    model = mc.create_logged_model(exp, name="lm")
    (tmp_path / "lm").mkdir()
    (tmp_path / "lm" / "MLmodel").write_text("flavors: {}\n")
    mc.log_model_artifacts(model.model_id, str(tmp_path / "lm"))
    with httpx.Client(base_url=mlflow_url) as http:
        for prefix in ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow"):
            resp = http.get(f"{prefix}/logged-models/{model.model_id}/artifacts/files",
                            params={"artifact_file_path": "MLmodel"})
            assert resp.status_code == 200 and resp.text == "flavors: {}\n"
        listing = http.get(f"/ajax-api/2.0/mlflow/logged-models/{model.model_id}/artifacts/directories")
        assert [f["path"] for f in listing.json()["files"]] == ["MLmodel"]
        no_path = http.get(f"/api/2.0/mlflow/logged-models/{model.model_id}/artifacts/files")
        assert no_path.status_code == 400


def test_ui_upload_artifact(mlflow_url: str, mc: MlflowClient) -> None:
    run = mc.create_run(mc.create_experiment("uploads"))
    body = b"a,b\n1,2\n"
    with httpx.Client(base_url=mlflow_url) as http:
        ok = http.post("/ajax-api/2.0/mlflow/upload-artifact",
                       params={"run_uuid": run.info.run_id, "path": "tables/t.csv"},
                       content=body, headers={"content-type": "application/octet-stream"})
        assert ok.status_code == 200, ok.text
        too_big = http.post("/ajax-api/2.0/mlflow/upload-artifact",
                            params={"run_uuid": run.info.run_id, "path": "big.bin"},
                            content=b"x" * (10 * 1024 * 1024 + 1),
                            headers={"content-type": "application/octet-stream"})
        assert too_big.status_code == 400 and "Max size is 10MB" in too_big.json()["message"]
        no_path = http.post("/ajax-api/2.0/mlflow/upload-artifact",
                            params={"run_uuid": run.info.run_id}, content=body,
                            headers={"content-type": "application/octet-stream"})
        assert no_path.status_code == 400 and "must specify path" in no_path.json()["message"]
        cross_site = http.post("/ajax-api/2.0/mlflow/upload-artifact",
                               params={"run_uuid": run.info.run_id, "path": "x.txt"},
                               content=body, headers={"content-type": "text/plain"})
        assert cross_site.status_code == 400  # a simple request: refused
    (entry,) = mc.list_artifacts(run.info.run_id, "tables")
    assert entry.path == "tables/t.csv" and entry.file_size == len(body)
    got = mc.download_artifacts(run.info.run_id, "tables/t.csv")
    with open(got, "rb") as fh:
        assert hashlib.sha256(fh.read()).digest() == hashlib.sha256(body).digest()


def test_metric_history_bulk_and_interval(mlflow_url: str, mc: MlflowClient) -> None:
    exp = mc.create_experiment("bulk")
    runs = [mc.create_run(exp).info.run_id for _ in range(2)]
    for i, run_id in enumerate(runs):
        for step in range(100):
            mc.log_metric(run_id, "loss", 1.0 / (step + 1 + i), step=step, timestamp=1000 + step)
    with httpx.Client(base_url=mlflow_url) as http:
        bulk = http.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk",
                        params=[("run_id", runs[0]), ("run_id", runs[1]), ("metric_key", "loss")])
        metrics = bulk.json()["metrics"]
        assert len(metrics) == 200 and {m["run_id"] for m in metrics} == set(runs)
        first = [m for m in metrics if m["run_id"] == runs[0]]
        assert [m["step"] for m in first] == list(range(100))
        capped = http.get("/api/2.0/mlflow/metrics/get-history-bulk",
                          params={"run_id": runs[0], "metric_key": "loss", "max_results": 5})
        assert len(capped.json()["metrics"]) == 5
        no_key = http.get("/api/2.0/mlflow/metrics/get-history-bulk", params={"run_id": runs[0]})
        assert no_key.status_code == 400 and "metric_key" in no_key.json()["message"]

        sampled = http.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                           params=[("run_ids", runs[0]), ("run_ids", runs[1]),
                                   ("metric_key", "loss"), ("max_results", "10")]).json()["metrics"]
        for run_id in runs:
            steps = [m["step"] for m in sampled if m["run_id"] == run_id]
            assert len(steps) == 10 and steps[0] == 0 and steps[-1] == 99 and steps == sorted(steps)
        window = http.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                          params={"run_ids": runs[0], "metric_key": "loss",
                                  "start_step": 10, "end_step": 19}).json()["metrics"]
        assert [m["step"] for m in window] == list(range(10, 20))
        half = http.get("/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
                        params={"run_ids": runs[0], "metric_key": "loss", "start_step": 3})
        assert half.status_code == 400 and "both must be specified" in half.json()["message"]


def test_search_datasets(mlflow_url: str, mc: MlflowClient) -> None:
    import pandas as pd

    exp = mlflow.set_experiment("with-data")
    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="toy")
    with mlflow.start_run():
        mlflow.log_input(dataset, context="training")
    with mlflow.start_run():
        mlflow.log_input(dataset, context="training")  # the same summary once
    with httpx.Client(base_url=mlflow_url) as http:
        resp = http.post("/ajax-api/2.0/mlflow/experiments/search-datasets",
                         json={"experiment_ids": [exp.experiment_id]})
        assert resp.json()["dataset_summaries"] == [
            {"experiment_id": exp.experiment_id, "name": "toy", "digest": dataset.digest,
             "context": "training"}]
        empty = http.post("/ajax-api/2.0/mlflow/experiments/search-datasets", json={})
        assert empty.status_code == 400
