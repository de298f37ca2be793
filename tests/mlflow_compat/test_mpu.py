"""MLflow's proxied multipart upload with the real mlflow client
(``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true``): a file above the threshold logged in
parts, through the server's signed part route on the local folder and straight to
the storage on S3; the protocol calls one by one (create, parts, complete; abort): with
no digest announced, the artifact is recorded under the sha256 of the bytes the storage
holds, verified by the server's read; and server-info saying so truthfully."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

MiB = 1 << 20


@pytest.fixture(params=["local", "s3"])
def settings(request, settings):  # type: ignore[no-untyped-def]
    """The local folder (parts through the server's signed route) and S3 (presigned
    storage URLs: the mlflow client sends the parts straight to moto)."""
    import dataclasses

    if request.param == "s3":
        return dataclasses.replace(settings, artifacts_uri=request.getfixturevalue("s3_url"))
    return settings


@pytest.fixture
def mpu_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(8 * MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(5 * MiB))


def test_server_info_reports_multipart_uploads(mlflow_url: str) -> None:
    info = httpx.get(f"{mlflow_url}/api/3.0/mlflow/server-info").json()
    assert info["multipart_uploads_enabled"] is True


def test_log_artifact_in_parts(mlflow_url: str, mc: MlflowClient, tmp_path: Path,
                               mpu_env: None) -> None:
    data = os.urandom(13 * MiB + 3)
    src = tmp_path / "weights.bin"
    src.write_bytes(data)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src), artifact_path="model")
    rid = run.info.run_id
    [f] = mc.list_artifacts(rid, "model")
    assert f.path == "model/weights.bin" and f.file_size == len(data)
    out = mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="model/weights.bin",
                                              dst_path=str(tmp_path / "out"))
    assert hashlib.sha256(Path(out).read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


def _repo(run_id: str):  # type: ignore[no-untyped-def]
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    return get_artifact_repository(mlflow.get_run(run_id).info.artifact_uri)


def test_protocol_calls_and_abort(mlflow_url: str, mc: MlflowClient,
                                            tmp_path: Path, mpu_env: None,
                                            services) -> None:  # type: ignore[no-untyped-def]
    from mlflow.entities.multipart_upload import MultipartUploadPart

    data = os.urandom(11 * MiB)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    with mlflow.start_run() as run:
        pass
    repo = _repo(run.info.run_id)
    create = repo.create_multipart_upload(str(src), 3, "dir")
    assert len(create.credentials) == 3
    direct = not create.credentials[0].url.startswith(mlflow_url)
    assert direct == services.settings.artifacts_uri.startswith("s3://")
    parts = []
    for i, cred in enumerate(create.credentials):
        piece = data[i * 5 * MiB:(i + 1) * 5 * MiB]
        if i == 1:
            piece = b"\x00" + piece[1:]  # changed on the way: what is stored is recorded
        resp = httpx.put(cred.url, content=piece, headers=cred.headers)
        assert resp.status_code == 200, resp.text
        parts.append(MultipartUploadPart(cred.part_number, resp.headers.get("etag", "")))
    repo.complete_multipart_upload(str(src), create.upload_id, parts, "dir")
    [f] = mc.list_artifacts(run.info.run_id, "dir")
    assert f.file_size == len(data)
    stored = data[:5 * MiB] + b"\x00" + data[5 * MiB + 1:]
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="dir/big.bin",
                                              dst_path=str(tmp_path / "got"))
    assert Path(out).read_bytes() == stored
    # Abort: the session and its parts are gone; completing it then fails.
    again = repo.create_multipart_upload(str(src), 3, "other")
    repo.abort_multipart_upload(str(src), again.upload_id, "other")
    with pytest.raises(Exception):  # noqa: B017 - mlflow's own exception type
        repo.complete_multipart_upload(str(src), again.upload_id, parts, "other")
    assert mc.list_artifacts(run.info.run_id, "other") == []


def test_ajax_api_mirror(mlflow_url: str, mc: MlflowClient, tmp_path: Path) -> None:
    with mlflow.start_run() as run:
        pass
    root = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
    resp = httpx.post(f"{mlflow_url}/ajax-api/2.0/mlflow-artifacts/mpu/create/{root}",
                      json={"path": "x.bin", "num_parts": 1})
    assert resp.status_code == 200, resp.text
    cred = resp.json()["credentials"][0]
    assert httpx.put(cred["url"], content=b"tiny").status_code == 200
    done = httpx.post(f"{mlflow_url}/ajax-api/2.0/mlflow-artifacts/mpu/complete/{root}",
                      json={"path": "x.bin", "upload_id": resp.json()["upload_id"], "parts": []})
    assert done.status_code == 200, done.text
    assert [f.path for f in mc.list_artifacts(run.info.run_id)] == ["x.bin"]


def test_odd_part_counts_and_parts_too_small(mlflow_url: str, mc: MlflowClient,
                                             services) -> None:  # type: ignore[no-untyped-def]
    """More parts than one batch of URLs (1,000) is one create; a count that is not an
    integer, or beyond the most parts an upload has, is a 400; parts below the
    storage's minimum are the client's error (400), never a 503 to retry."""
    with mlflow.start_run() as run:
        pass
    root = f"{mlflow_url}/api/2.0/mlflow-artifacts/mpu"
    where = f"0/{run.info.run_id}/artifacts/dir"
    many = httpx.post(f"{root}/create/{where}", json={"path": "f.bin", "num_parts": 1001},
                      timeout=60)
    assert many.status_code == 200, many.text
    assert [c["part_number"] for c in many.json()["credentials"]] == list(range(1, 1002))
    for bad in (10_001, True, 1.5, "x", [1]):
        r = httpx.post(f"{root}/create/{where}", json={"path": "f.bin", "num_parts": bad})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", bad
    two = httpx.post(f"{root}/create/{where}", json={"path": "f.bin", "num_parts": 2}).json()
    for cred in two["credentials"]:
        assert httpx.put(cred["url"], content=b"0123456789",
                         headers=cred["headers"]).status_code == 200
    done = httpx.post(f"{root}/complete/{where}",
                      json={"path": "f.bin", "upload_id": two["upload_id"], "parts": []})
    if services.settings.artifacts_uri.startswith("s3://"):
        assert done.status_code == 400 and "5 MiB" in done.json()["message"], done.text
    else:  # the local folder has no minimum part size
        assert done.status_code == 200, done.text


def test_a_run_deleted_before_complete_keeps_the_session(mlflow_url: str, mc: MlflowClient,
                                                         services) -> None:  # type: ignore[no-untyped-def]
    """complete refuses a run deleted since create without using the session up:
    restored, the same upload completes."""
    with mlflow.start_run() as run:
        pass
    root = f"{mlflow_url}/api/2.0/mlflow-artifacts/mpu"
    where = f"0/{run.info.run_id}/artifacts/dir"
    data = os.urandom(1000)
    made = httpx.post(f"{root}/create/{where}", json={"path": "f.bin", "num_parts": 1}).json()
    cred = made["credentials"][0]
    assert httpx.put(cred["url"], content=data, headers=cred["headers"]).status_code == 200
    body = {"path": "f.bin", "upload_id": made["upload_id"], "parts": []}
    mc.delete_run(run.info.run_id)
    refused = httpx.post(f"{root}/complete/{where}", json=body)
    assert refused.status_code == 400 and "deleted" in refused.json()["message"]
    mc.restore_run(run.info.run_id)
    done = httpx.post(f"{root}/complete/{where}", json=body)
    assert done.status_code == 200, done.text
    [f] = mc.list_artifacts(run.info.run_id, "dir")
    assert f.path == "dir/f.bin" and f.file_size == len(data)
