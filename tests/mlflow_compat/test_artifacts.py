"""Proxied artifacts (``mlflow server --serve-artifacts``) into the content-addressed
store: log_artifact(s), list, download, load_dict/load_table, a file of hundreds of
MiB, and the errors of the artifact service."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from modelyard.domain.entities import ANONYMOUS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_log_list_download(mlflow_url: str, mc: MlflowClient, tmp_path: Path,
                           services) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "src"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "a.txt").write_text("alpha")
    (src / "sub" / "b.bin").write_bytes(b"\x00\x01" * 1000)
    (src / "sub" / "deeper" / "c.txt").write_text("gamma")
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(src / "a.txt"))
        mlflow.log_artifact(str(src / "a.txt"), artifact_path="copies")
        mlflow.log_artifacts(str(src), artifact_path="tree")
        mlflow.log_dict({"k": [1, 2]}, "conf/settings.json")
        mlflow.log_text("hello", "notes.txt")
        mlflow.log_table({"x": [1, 2], "y": ["a", "b"]}, "tables/t.json")
    rid = run.info.run_id

    top = mc.list_artifacts(rid)
    assert [(f.path, f.is_dir) for f in top] == [
        ("a.txt", False), ("conf", True), ("copies", True), ("notes.txt", False),
        ("tables", True), ("tree", True)]
    assert top[0].file_size == 5
    assert [f.path for f in mc.list_artifacts(rid, "tree/sub")] == [
        "tree/sub/b.bin", "tree/sub/deeper"]
    assert mc.list_artifacts(rid, "a.txt") == []  # a file lists as empty, as in MLflow
    assert mc.list_artifacts(rid, "missing") == []

    out = Path(mlflow.artifacts.download_artifacts(run_id=rid, artifact_path="tree",
                                                   dst_path=str(tmp_path / "out")))
    assert (out / "sub" / "deeper" / "c.txt").read_text() == "gamma"
    assert (out / "sub" / "b.bin").read_bytes() == b"\x00\x01" * 1000
    assert mlflow.artifacts.load_dict(f"runs:/{rid}/conf/settings.json") == {"k": [1, 2]}
    assert mlflow.artifacts.load_text(f"runs:/{rid}/notes.txt") == "hello"
    table = mlflow.load_table("tables/t.json", run_ids=[rid])
    assert list(table["y"]) == ["a", "b"]

    # The same files, first-class in modelyard: a manifest over the blob store.
    files = {f.path: f for f in services.tracking.run_artifact_files(ANONYMOUS, rid)}
    assert files["a.txt"].sha256 == hashlib.sha256(b"alpha").hexdigest()
    assert files["copies/a.txt"].sha256 == files["a.txt"].sha256  # stored once


def test_large_artifact_round_trip(mlflow_url: str, tmp_path: Path) -> None:
    block = os.urandom(1 << 20)
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        for i in range(300):  # 300 MiB
            fh.write(block[i:] + block[:i])
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(big), "data")
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id,
                                              artifact_path="data/big.bin",
                                              dst_path=str(tmp_path / "dl"))
    with open(out, "rb") as fh:
        assert hashlib.file_digest(fh, "sha256").hexdigest() == digest


def test_artifact_service_errors(mlflow_url: str) -> None:
    base = f"{mlflow_url}/api/2.0/mlflow-artifacts/artifacts"
    with mlflow.start_run() as run:
        pass
    prefix = f"{run.info.experiment_id}/{run.info.run_id}/artifacts"
    with httpx.Client(timeout=30) as h:
        r = h.get(f"{base}/{prefix}/nothing.txt")
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        r = h.put(f"{base}/{prefix}/..%2F..%2Fescape.txt", content=b"x")
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        r = h.put(f"{base}/0/{'0' * 32}/artifacts/x.txt", content=b"x")
        assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        r = h.put(f"{base}/somewhere/else.txt", content=b"x")
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        r = h.delete(f"{base}/{prefix}/x.txt")  # nothing there: nothing deleted, as MLflow
        assert r.status_code == 200 and r.json() == {}
        # Multipart upload is served (test_mpu.py); a call naming no file is refused.
        r = h.post(f"{mlflow_url}/api/2.0/mlflow-artifacts/mpu/create/{prefix}/x", json={})
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert h.get(f"{base}?path={prefix}").json() == {}


def test_an_upload_is_refused_before_its_bytes(mlflow_url: str, mc: MlflowClient) -> None:
    """A path naming another experiment than the run's, a deleted run or a run that is
    not there is refused before the body is read, and nothing is kept; so is a
    multipart upload session for them."""
    exp = mc.create_experiment("other-exp")
    with mlflow.start_run() as run:
        pass
    rid, own = run.info.run_id, run.info.experiment_id
    root = f"{mlflow_url}/api/2.0/mlflow-artifacts"
    wrong = httpx.put(f"{root}/artifacts/{exp}/{rid}/artifacts/f.txt", content=b"x")
    assert wrong.status_code == 404 and wrong.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    absent = httpx.put(f"{root}/artifacts/{own}/{'0' * 32}/artifacts/f.txt", content=b"x")
    assert absent.status_code == 404
    mpu = httpx.post(f"{root}/mpu/create/{exp}/{rid}/artifacts/dir",
                     json={"path": "f.bin", "num_parts": 2})
    assert mpu.status_code == 404
    mc.delete_run(rid)
    deleted = httpx.put(f"{root}/artifacts/{own}/{rid}/artifacts/f.txt", content=b"x")
    assert deleted.status_code == 400 and "deleted" in deleted.json()["message"]
    mc.restore_run(rid)
    assert mc.list_artifacts(rid) == []
    ok = httpx.put(f"{root}/artifacts/{own}/{rid}/artifacts/f.txt", content=b"x")
    assert ok.status_code == 200 and [f.path for f in mc.list_artifacts(rid)] == ["f.txt"]
    # A path with an empty part is refused, not cleaned up into another one.
    for bad in ("/etc/passwd", "a//b.txt", "dir/"):
        r = httpx.put(f"{root}/artifacts/{own}/{rid}/artifacts/{bad}", content=b"x")
        assert r.status_code == 400 and "Invalid path" in r.json()["message"], bad
        r = httpx.get(f"{mlflow_url}/get-artifact", params={"run_id": rid, "path": bad})
        assert r.status_code == 400 and "Invalid path" in r.json()["message"], bad
    assert [f.path for f in mc.list_artifacts(rid)] == ["f.txt"]
