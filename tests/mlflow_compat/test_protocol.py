"""Wire-level behaviour the client relies on: credentials accepted and ignored on an
open server, the error shape for endpoints we do not implement, server-info, health."""

from __future__ import annotations

import logging

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

SECRET = "my-very-secret-token"


@pytest.mark.parametrize("env", [
    {"MLFLOW_TRACKING_TOKEN": SECRET},
    {"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": SECRET},
])
def test_credentials_are_accepted_and_never_logged(mlflow_url: str, env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    caplog.set_level(logging.DEBUG, logger="modelyard")
    c = MlflowClient(mlflow_url)
    c.create_registered_model("with-credentials")
    c.create_model_version("with-credentials", "s3://x")
    with mlflow.start_run():
        mlflow.log_metric("m", 1.0)
    assert c.get_registered_model("with-credentials").name == "with-credentials"
    assert SECRET not in caplog.text


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/2.0/mlflow/traces"),
    ("POST", "/api/2.0/mlflow/gateway/secrets/create"),
    ("GET", "/api/2.0/mlflow/registered-models/create"),  # a known path, wrong method
    ("GET", "/api/3.0/mlflow/server-features"),
    ("PUT", "/api/2.0/mlflow-artifacts/mpu/complete/x"),
    ("GET", "/ajax-api/2.0/mlflow/traces"),
])
def test_unsupported_endpoints_answer_mlflow_json(http: httpx.Client, method: str,
                                                  path: str) -> None:
    r = http.request(method, path, json={} if method != "GET" else None)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error_code"] == "ENDPOINT_NOT_FOUND" and path in body["message"]


def test_request_errors_are_mlflow_json(http: httpx.Client) -> None:
    r = http.post("/api/2.0/mlflow/registered-models/create", content=b"{not json",
                  headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = http.post("/api/2.0/mlflow/registered-models/create", json={})
    assert r.status_code == 400 and "name" in r.json()["message"]
    r = http.post("/api/2.0/mlflow/registered-models/create", content=b"name=x",
                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = http.get("/api/2.0/mlflow/model-versions/get", params={"name": "x", "version": "one"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = http.get("/api/2.0/mlflow/registered-models/search", params={"max_results": "many"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_server_info_and_health(http: httpx.Client) -> None:
    info = http.get("/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is True  # mlflow-artifacts/mpu (test_mpu.py)
    assert info["multipart_downloads_enabled"] is False
    assert http.get("/health").status_code == 200


@pytest.mark.parametrize("project", ["default", "team-a"])
def test_a_created_model_answers_as_it_is_read_back(http: httpx.Client, project: str,
                                                     mc: MlflowClient) -> None:
    """The answer to create is the model as stored (untagged in the default project it
    is built from what was written, else read back): the same fields as a get, on the
    MLflow API and the native one."""
    if project == "default":
        tags = [{"key": "team", "value": "vision"}, {"key": "empty", "value": ""}]
        made = http.post("/api/2.0/mlflow/registered-models/create", json={
            "name": "created-m", "description": "a model", "tags": tags}).json()
        got = http.get("/api/2.0/mlflow/registered-models/get", params={"name": "created-m"})
        assert made == got.json() and made["registered_model"]["user_id"]
        assert mc.get_registered_model("created-m").tags == {"team": "vision", "empty": ""}
        plain = http.post("/api/2.0/mlflow/registered-models/create",
                          json={"name": "created-plain"}).json()
        assert plain == http.get("/api/2.0/mlflow/registered-models/get",
                                 params={"name": "created-plain"}).json()
    else:
        assert http.post("/api/v1/projects", json={"name": project}).status_code == 201
    native = http.post("/api/v1/models", json={"name": f"created-{project}", "project": project,
                                               "description": "d", "tags": {"a": "1"}})
    assert native.status_code == 201, native.text
    assert native.json() == http.get(f"/api/v1/models/created-{project}").json()
    assert native.json()["model"]["project"] == project
    assert native.json()["model"]["tags"] == {"a": "1"}
