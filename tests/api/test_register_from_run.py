"""Registering a run's artifacts as a version: the native endpoint, the SDK on both
transports and MLflow's create-model-version share the domain's one rule."""

from __future__ import annotations

import hashlib

import pytest

from modelyard.errors import InvalidParameter, NotFound


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'meta.db'}"


def _err(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] == code and body["message"]


def _run_with_artifacts(http, files: dict[str, bytes]) -> str:
    run_id = http.post("/api/v1/runs", json={"experiment_id": "0"}).json()["run"]["run_id"]
    entries = []
    for path, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        assert http.put(f"/api/v1/blobs/sha256/{digest}", content=data).status_code == 200
        entries.append({"path": path, "size": len(data), "sha256": digest})
    resp = http.post(f"/api/v1/runs/{run_id}/artifacts", json={"files": entries})
    assert resp.status_code < 300, resp.text
    http.post(f"/api/v1/runs/{run_id}/metrics", json={"key": "auc", "value": 0.9})
    return run_id


def test_native_endpoint_registers_without_copying(http):
    run_id = _run_with_artifacts(http, {"model/MLmodel": b"flavor: x\n",
                                        "model/w.bin": b"\x00" * 10, "notes.txt": b"n"})
    resp = http.post("/api/v1/models/fraud/versions/from-run",
                     json={"run_id": run_id, "artifact_path": "model", "tags": {"t": "1"}})
    assert resp.status_code == 201, resp.text
    v = resp.json()["version"]
    assert v["model"] == "fraud" and v["version"] == 1 and v["run_id"] == run_id
    assert v["source"] == f"runs:/{run_id}/model" and v["metrics"] == {"auc": 0.9}
    assert v["tags"] == {"t": "1"}
    files = http.get("/api/v1/models/fraud/versions/1").json()["version"]["files"]
    assert sorted(f["path"] for f in files) == ["MLmodel", "w.bin"]
    # a path naming one file registers that file under its base name
    one = http.post("/api/v1/models/fraud/versions/from-run",
                    json={"run_id": run_id, "artifact_path": "notes.txt",
                          "metrics": {"f1": 0.5}, "source": "custom"}).json()["version"]
    files = http.get("/api/v1/models/fraud/versions/2").json()["version"]["files"]
    assert [f["path"] for f in files] == ["notes.txt"]
    assert one["metrics"] == {"f1": 0.5} and one["source"] == "custom"


def test_native_endpoint_errors(http):
    run_id = _run_with_artifacts(http, {"model/MLmodel": b"flavor: x\n"})
    _err(http.post("/api/v1/models/m/versions/from-run",
                   json={"run_id": run_id, "artifact_path": "nothing-here"}),
         400, "INVALID_PARAMETER_VALUE")
    _err(http.post("/api/v1/models/m/versions/from-run",
                   json={"run_id": "0" * 32, "artifact_path": "model"}),
         404, "RESOURCE_DOES_NOT_EXIST")
    _err(http.post("/api/v1/models/absent/versions/from-run",
                   json={"run_id": run_id, "artifact_path": "model", "create_model": False}),
         404, "RESOURCE_DOES_NOT_EXIST")
    _err(http.post("/api/v1/models/m/versions/from-run",
                   json={"run_id": run_id, "artifact_path": "../etc"}),
         400, "INVALID_PARAMETER_VALUE")
    _err(http.post("/api/v1/models/m/versions/from-run", json={"artifact_path": "model"}),
         400, "INVALID_PARAMETER_VALUE")


def test_openapi_describes_the_endpoint(http):
    schema = http.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/models/{name}/versions/from-run"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert body["required"] == ["run_id"]
    assert {"artifact_path", "create_model", "metrics", "parents"} <= set(body["properties"])


def test_mlflow_create_model_version_uses_the_same_rule(http):
    run_id = _run_with_artifacts(http, {"notes.txt": b"hello"})
    assert http.post("/api/2.0/mlflow/registered-models/create",
                     json={"name": "skinny"}).status_code == 200
    resp = http.post("/api/2.0/mlflow/model-versions/create",
                     json={"name": "skinny", "source": f"runs:/{run_id}/notes.txt",
                           "run_id": run_id})
    assert resp.status_code == 200, resp.text
    v = http.get("/api/v1/models/skinny/versions/1").json()["version"]
    assert [f["path"] for f in v["files"]] == ["notes.txt"] and v["run_id"] == run_id
    # a source stored elsewhere is recorded as given, with no files
    http.post("/api/2.0/mlflow/model-versions/create",
              json={"name": "skinny", "source": "s3://bucket/model"})
    v2 = http.get("/api/v1/models/skinny/versions/2").json()["version"]
    assert v2["files"] == [] and v2["source"] == "s3://bucket/model"


def test_sdk_registers_a_run_model_on_both_transports(client, tmp_path):
    run = client.create_run("0")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_bytes(b"flavor: x\n")
    client.log_artifacts(run.run_id, tmp_path / "m", "model")
    client.log_metric(run.run_id, "loss", float("nan"))
    client.log_metric(run.run_id, "auc", 0.8)
    v = client.register_run_model("sdk-model", run.run_id, "model", description="d")
    assert v.description == "d" and v.metrics == {"auc": 0.8}
    assert [f.path for f in client.get_version("sdk-model", v.version).files] == ["MLmodel"]
    with pytest.raises(InvalidParameter):
        client.register_run_model("sdk-model", run.run_id, "missing")
    with pytest.raises(NotFound):
        client.register_run_model("other", run.run_id, "model", create_model=False)
