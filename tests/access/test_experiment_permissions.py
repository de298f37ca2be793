"""MLflow's experiment permissions: the admin client of MLflow's basic-auth app
(``mlflow.server.get_app_client("basic-auth", ...)``, MLflow 3's unified per-user
permission routes) and the MLflow 2 ``experiments/permissions/*`` routes, with the
real mlflow client obeying them: an experiment a user may not read is 404, with its
runs, and absent from searches."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

mlflow = pytest.importorskip("mlflow")

from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.server import get_app_client  # noqa: E402

from modelyard.client.http import HttpClient  # noqa: E402
from modelyard.errors import NotFound  # noqa: E402

_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_TRACKING_TOKEN",
         "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_EXPERIMENT_ID",
         "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")
P2 = "/api/2.0/mlflow/experiments/permissions"
# mlflow's auth app imports starlette's deprecated WSGI middleware (not ours).
pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated")


class As:
    """Switch the mlflow client's credentials (it reads them on every request)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.mp = monkeypatch

    def __call__(self, user: str, secret: str) -> None:
        self.mp.setenv("MLFLOW_TRACKING_USERNAME", user)
        self.mp.setenv("MLFLOW_TRACKING_PASSWORD", secret)


@pytest.fixture
def as_user(monkeypatch: pytest.MonkeyPatch) -> Iterator[As]:
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    yield As(monkeypatch)


def _code(call: object) -> str:
    with pytest.raises(MlflowException) as info:
        call()  # type: ignore[operator]
    return info.value.error_code


def _basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def test_experiment_permissions_through_the_basic_auth_client(
        server_url: str, admin_token: str, as_user: As, tmp_path: Path) -> None:
    as_user("root", admin_token)
    admin = get_app_client("basic-auth", tracking_uri=server_url)
    admin.create_user("ana", "ana-password-1")
    c = mlflow.MlflowClient(server_url)
    e1, e2 = c.create_experiment("e1"), c.create_experiment("e2")
    r1, r2 = c.create_run(e1).info.run_id, c.create_run(e2).info.run_id
    c.log_text(r1, "one", "notes.txt")
    c.log_text(r2, "two", "notes.txt")
    c.create_registered_model("fraud")

    as_user("ana", "ana-password-1")
    assert _code(lambda: c.get_experiment(e1)) == "RESOURCE_DOES_NOT_EXIST"
    assert c.get_experiment_by_name("e1") is None  # what mlflow makes of a 404
    assert _code(lambda: c.get_run(r1)) == "RESOURCE_DOES_NOT_EXIST"
    assert _code(lambda: c.search_runs([e1])) == "RESOURCE_DOES_NOT_EXIST"
    assert c.search_experiments() == []

    as_user("root", admin_token)
    admin.grant_user_permission("ana", "experiment", e1, "READ")
    got = admin.get_user_permission("ana", "experiment", e1)
    assert (got.permission, got.allowed) == ("READ", False)
    assert admin.get_user_permission("ana", "experiment", e2).permission == "NO_PERMISSIONS"

    as_user("ana", "ana-password-1")
    assert c.get_experiment(e1).name == "e1"
    assert [e.name for e in c.search_experiments()] == ["e1"]  # not Default, not e2
    assert c.get_run(r1).info.run_id == r1
    assert [r.info.run_id for r in c.search_runs([e1])] == [r1]
    assert _code(lambda: c.get_run(r2)) == "RESOURCE_DOES_NOT_EXIST"
    # Run artifacts: through the runs the user may read only.
    got_path = c.download_artifacts(r1, "notes.txt", str(tmp_path))
    assert Path(got_path).read_text() == "one"
    with pytest.raises(Exception):  # noqa: B017 - mlflow wraps the 404 its own way
        c.download_artifacts(r2, "notes.txt", str(tmp_path / "two"))
    assert not (tmp_path / "two" / "notes.txt").exists()
    assert _code(lambda: c.log_metric(r1, "auc", 0.9)) == "PERMISSION_DENIED"
    assert _code(lambda: c.create_run(e1)) == "PERMISSION_DENIED"
    assert _code(lambda: c.create_experiment("mine")) == "PERMISSION_DENIED"

    as_user("root", admin_token)
    admin.grant_user_permission("ana", "experiment", e1, "EDIT")
    got = admin.get_user_permission("ana", "experiment", e1)
    assert (got.permission, got.allowed) == ("EDIT", True)
    as_user("ana", "ana-password-1")
    c.log_metric(r1, "auc", 0.9)
    mine = c.create_run(e1).info.run_id
    c.set_terminated(mine)
    assert _code(lambda: c.delete_experiment(e1)) == "PERMISSION_DENIED"  # MANAGE

    # A registered model through the same routes.
    assert _code(lambda: c.get_registered_model("fraud")) == "RESOURCE_DOES_NOT_EXIST"
    as_user("root", admin_token)
    admin.grant_user_permission("ana", "registered_model", "fraud", "READ")
    assert admin.get_user_permission("ana", "registered_model", "fraud").permission == "READ"
    as_user("ana", "ana-password-1")
    assert c.get_registered_model("fraud").name == "fraud"

    as_user("root", admin_token)
    admin.revoke_user_permission("ana", "experiment", e1)
    admin.revoke_user_permission("ana", "registered_model", "fraud")
    as_user("ana", "ana-password-1")
    assert _code(lambda: c.get_run(r1)) == "RESOURCE_DOES_NOT_EXIST"
    assert c.search_experiments() == []
    assert _code(lambda: c.get_registered_model("fraud")) == "RESOURCE_DOES_NOT_EXIST"

    as_user("root", admin_token)
    assert _code(lambda: admin.grant_user_permission("ana", "experiment", e1,
                                                     "NO_PERMISSIONS")) == \
        "INVALID_PARAMETER_VALUE"
    assert _code(lambda: admin.grant_user_permission("nobody", "experiment", e1,
                                                     "READ")) == "RESOURCE_DOES_NOT_EXIST"
    assert _code(lambda: admin.grant_user_permission("ana", "prompt", "p",
                                                     "READ")) == "INVALID_PARAMETER_VALUE"


def test_mlflow2_experiment_permission_routes(server_url: str, admin_token: str) -> None:
    admin = {"Authorization": f"Bearer {admin_token}"}
    with HttpClient(server_url, token=admin_token) as root:
        root.create_user("ben", password="ben-password-1")
        root.create_user("cat", password="cat-password-1")
        e1 = root.create_experiment("e1").experiment_id
    ben, cat = _basic("ben", "ben-password-1"), _basic("cat", "cat-password-1")
    body = {"experiment_id": e1, "username": "ben"}
    with httpx.Client(base_url=server_url) as h:
        get = "/api/2.0/mlflow/experiments/get"
        assert h.get(get, params={"experiment_id": e1}, headers=ben).status_code == 404
        r = h.post(P2 + "/create", json={**body, "permission": "READ"}, headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["experiment_permission"]["permission"] == "READ"
        assert r.json()["experiment_permission"]["experiment_id"] == e1
        assert h.get(get, params={"experiment_id": e1}, headers=ben).status_code == 200
        assert h.get(P2 + "/get", params=body, headers=admin).json()[
            "experiment_permission"]["permission"] == "READ"
        # ben may not manage it yet; with MANAGE he may grant others.
        grant_cat = {"experiment_id": e1, "username": "cat", "permission": "READ"}
        assert h.post(P2 + "/create", json=grant_cat, headers=ben).status_code == 403
        assert h.patch(P2 + "/update", json={**body, "permission": "MANAGE"},
                       headers=admin).status_code == 200
        assert h.post(P2 + "/create", json=grant_cat, headers=ben).status_code == 200
        assert h.get(get, params={"experiment_id": e1}, headers=cat).status_code == 200
        assert h.post(P2 + "/create", json={**body, "permission": "DENY"},
                      headers=admin).status_code == 400
        assert h.request("DELETE", P2 + "/delete", json=body, headers=admin).status_code == 200
        assert h.get(P2 + "/get", params=body, headers=admin).status_code == 404
        assert h.get(get, params={"experiment_id": e1}, headers=ben).status_code == 404
        # An experiment nobody may see and one that does not exist answer alike.
        assert h.post(P2 + "/create", json={**body, "permission": "READ"},
                      headers=ben).json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        gone = {"experiment_id": "987654", "username": "ben", "permission": "READ"}
        assert h.post(P2 + "/create", json=gone, headers=admin).status_code == 404


def test_experiment_grants_through_the_cli_and_the_sdk(server_url: str, admin_token: str,
                                                        tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    with HttpClient(server_url, token=admin_token) as root:
        root.create_user("dee", password="dee-password-1")
        e1 = root.create_experiment("e1").experiment_id
    env = dict(os.environ, MODELYARD_URI=server_url, MODELYARD_TOKEN=admin_token,
               MODELYARD_CONFIG_DIR=str(tmp_path / "config"))

    def cli(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "modelyard.cli", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert "granted viewer on experiment " + e1 in cli("roles", "grant", "dee", "viewer",
                                                        "--experiment", e1)
    listed = json.loads(cli("--json", "roles", "list", "--experiment", e1))["grants"]
    assert [(g["subject"], g["role"], g["experiment"]) for g in listed] == [
        ("dee", "viewer", e1)]
    with HttpClient(server_url, token=admin_token) as root:
        token = root.create_token("t", user="dee").secret
    with HttpClient(server_url, token=token) as dee:
        assert dee.get_experiment(e1).name == "e1"
        assert [g.experiment for g in dee.list_grants(user="dee")] == [e1]
    cli("roles", "revoke", "dee", "--experiment", e1)
    with HttpClient(server_url, token=token) as dee, pytest.raises(NotFound):
        dee.get_experiment(e1)


def test_logged_models_of_hidden_experiments_cannot_be_written_through_runs(
        server_url: str, admin_token: str, as_user: As) -> None:
    """An editor of one experiment cannot add metric points to, or tag by registering
    a version, a logged model of an experiment they may not read; and the answer is
    the same as for a model that does not exist."""
    as_user("root", admin_token)
    admin = get_app_client("basic-auth", tracking_uri=server_url)
    admin.create_user("bob", "bob-password-1")
    c = mlflow.MlflowClient(server_url)
    private, mine = c.create_experiment("private"), c.create_experiment("bobs")
    hidden = c.create_logged_model(private, name="secret-model").model_id
    c.create_registered_model("bobs-model")
    admin.grant_user_permission("bob", "experiment", mine, "EDIT")
    admin.grant_user_permission("bob", "registered_model", "bobs-model", "MANAGE")

    as_user("bob", "bob-password-1")
    run = c.create_run(mine).info.run_id
    c.log_text(run, "flavors: {}", "model/MLmodel")
    api = f"{server_url}/api/2.0/mlflow"
    auth = _basic("bob", "bob-password-1")
    point = {"key": "auc", "value": 0.5, "timestamp": 1, "step": 0}
    answers = [httpx.post(f"{api}/runs/log-batch", headers=auth, json={
        "run_id": run, "metrics": [{**point, "model_id": m}]}) for m in (hidden, "m-nope")]
    assert [a.status_code for a in answers] == [404, 404], [a.text for a in answers]
    assert {a.json()["error_code"] for a in answers} == {"RESOURCE_DOES_NOT_EXIST"}
    r = httpx.post(f"{api}/model-versions/create", headers=auth, json={
        "name": "bobs-model", "source": f"runs:/{run}/model", "run_id": run,
        "model_id": hidden})
    assert r.status_code == 404, r.text
    c.create_model_version("bobs-model", f"runs:/{run}/model", run_id=run)  # without it: fine

    as_user("root", admin_token)
    found = c.get_logged_model(hidden)
    assert found.metrics in (None, []) and "mlflow.modelVersions" not in found.tags
