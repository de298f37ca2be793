"""Deleting run artifacts with the real mlflow client (``delete_artifacts`` of the run's
artifact repository, and raw ``DELETE`` under ``/api/2.0`` and ``/ajax-api/2.0``):
a file or a folder leaves the run; the blobs a registered version references stay
(content-addressed and shared), and gc reclaims only what nothing references.  Only
an editor of the run's experiment may delete."""

from __future__ import annotations

from pathlib import Path

import httpx
import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from modelyard.client.http import HttpClient
from modelyard.domain.entities import ANONYMOUS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _logged(tmp_path: Path) -> str:
    src = tmp_path / "src"
    (src / "model" / "weights").mkdir(parents=True)
    (src / "model" / "MLmodel").write_text("flavor: test\n")
    (src / "model" / "weights" / "w.bin").write_bytes(b"weights" * 1000)
    (src / "notes.txt").write_text("notes")
    (src / "plots").mkdir()
    (src / "plots" / "a.png").write_bytes(b"png-a")
    (src / "plots" / "b.png").write_bytes(b"png-b")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(src))
    return run.info.run_id


def _paths(mc: MlflowClient, rid: str, path: str | None = None) -> list[str]:
    return [f.path for f in mc.list_artifacts(rid, path)]


def test_delete_a_file_a_folder_and_everything(mlflow_url, mc, tmp_path, services):
    rid = _logged(tmp_path)
    repo = mc._tracking_client._get_artifact_repo(rid)
    repo.delete_artifacts("notes.txt")
    assert _paths(mc, rid) == ["model", "plots"]
    repo.delete_artifacts("plots")
    assert _paths(mc, rid) == ["model"]
    repo.delete_artifacts("plots")  # gone already: nothing to do, no error (as MLflow)
    with pytest.raises(MlflowException):
        mc.download_artifacts(rid, "notes.txt", str(tmp_path / "gone"))
    repo.delete_artifacts()  # the run's whole artifact root
    assert _paths(mc, rid) == []
    events = [e.type for e in services.audit.list_events(ANONYMOUS, entity_id=rid).items]
    assert events.count("run.artifacts_deleted") == 3


def test_under_ajax_api_and_path_errors(mlflow_url, tmp_path):
    rid = _logged(tmp_path)
    run = MlflowClient(mlflow_url).get_run(rid)
    prefix = f"{run.info.experiment_id}/{rid}/artifacts"
    with httpx.Client(base_url=mlflow_url, timeout=30) as h:
        r = h.delete(f"/ajax-api/2.0/mlflow-artifacts/artifacts/{prefix}/notes.txt")
        assert r.status_code == 200 and r.json() == {}
        assert "notes.txt" not in _paths(MlflowClient(mlflow_url), rid)
        r = h.delete(f"/api/2.0/mlflow-artifacts/artifacts/{prefix}/..%2F..%2Fx")
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        r = h.delete(f"/api/2.0/mlflow-artifacts/artifacts/0/{'0' * 32}/artifacts/x")
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        r = h.delete("/api/2.0/mlflow-artifacts/artifacts/model-versions/m/1/MLmodel")
        assert r.status_code == 400 and "immutable" in r.json()["message"]


def test_a_registered_version_keeps_its_bytes(mlflow_url, mc, tmp_path, server_url):
    rid = _logged(tmp_path)
    mlflow.register_model(f"runs:/{rid}/model", "kept")
    mc._tracking_client._get_artifact_repo(rid).delete_artifacts("model")
    assert _paths(mc, rid) == ["notes.txt", "plots"]
    with HttpClient(server_url) as c:
        report = c.gc(grace_seconds=0, force=True)
        assert report["blobs_deleted"] == 0  # every blob of the run is still referenced
        out = c.download("kept/1", tmp_path / "kept")
        assert (out / "weights" / "w.bin").read_bytes() == b"weights" * 1000
        mc._tracking_client._get_artifact_repo(rid).delete_artifacts()
        report = c.gc(grace_seconds=0, force=True)
        assert report["blobs_deleted"] == 3  # notes and the two plots; the model's stay
        c.download("kept/1", tmp_path / "again")


def test_only_an_editor_of_the_experiment_deletes(mlflow_url, tmp_path, services,
                                                  monkeypatch):
    root = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", root.token)
    rid = _logged(tmp_path)
    with HttpClient(mlflow_url, token=root.token) as c:
        c.create_user("viewer", password="viewer-password")
        viewer = c.create_token("v", user="viewer").secret
        c.grant_role("viewer", "viewer", project="default")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", viewer)
    mc = MlflowClient(mlflow_url)
    assert "notes.txt" in _paths(mc, rid)  # the viewer reads ...
    with pytest.raises(requests.HTTPError) as err:  # ... but may not delete
        mc._tracking_client._get_artifact_repo(rid).delete_artifacts("notes.txt")
    assert "PERMISSION_DENIED" in str(err.value)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", root.token)
    assert "notes.txt" in _paths(MlflowClient(mlflow_url), rid)
