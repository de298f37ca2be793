"""`fsck` re-hashes stored blobs and names every manifest that points at a missing or
corrupt one, over both transports, every database and S3."""

from __future__ import annotations

import boto3
import pytest

from modelyard.client.http import HttpClient
from modelyard.client.local import LocalClient
from modelyard.config import Settings
from modelyard.domain.entities import ANONYMOUS, FileEntry
from modelyard.server.app import create_app
from modelyard.services import Services
from tests.corrupt import flip_byte, remove_blob, sha256


def test_fsck_reports_corrupt_and_missing_blobs_with_their_manifests(client, services,
                                                                     model_dir, tmp_path):
    weights = (model_dir / "weights" / "w.bin").read_bytes()
    client.register("fraud", model_dir)
    run = client.create_run()
    client.log_artifacts(run.run_id, model_dir, "model")
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.txt").write_bytes(b"one\ntwo\n")
    client.log_dataset(data, "clicks", profile=False)
    # A logged model (MLflow 3) over the same weights, made as the MLflow API makes it.
    exp = services.tracking.create_experiment(ANONYMOUS, "lm")
    lm = services.logged_models.create(ANONYMOUS, exp.experiment_id, "model")
    services.logged_models.add_files(ANONYMOUS, lm.model_id, [
        FileEntry("model.bin", len(weights), sha256(weights))])
    healthy = client.fsck()
    assert healthy["ok"] and healthy["missing"] == healthy["corrupt"] == []
    assert healthy["blobs_checked"] == healthy["blobs_stored"] == 3

    root = services.settings.blob_root
    flip_byte(root, sha256(weights), offset=7)
    remove_blob(root, sha256(b"one\ntwo\n"))
    report = client.fsck()
    assert not report["ok"]
    assert report["corrupt"] == [sha256(weights)]
    assert report["missing"] == [sha256(b"one\ntwo\n")]
    found = {(m["problem"], m["kind"], m["name"], m["path"]) for m in report["manifests"]}
    assert found == {("corrupt", "model_version", "fraud/1", "weights/w.bin"),
                     ("corrupt", "run_artifact", run.run_id, "model/weights/w.bin"),
                     ("corrupt", "logged_model", lm.model_id, "model.bin"),
                     ("missing", "dataset_version", "clicks/1", "rows.txt")}

    # A sample re-hashes that many blobs; missing blobs are found whatever the sample.
    sampled = client.fsck(sample=0)
    assert sampled["blobs_checked"] == 0 and sampled["corrupt"] == []
    assert sampled["missing"] == [sha256(b"one\ntwo\n")] and not sampled["ok"]
    assert client.fsck(sample=1)["blobs_checked"] == 1


@pytest.fixture(params=["sqlite"])
def s3_services(request, tmp_path, s3_url):
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": s3_url},
                             environ={})
    services = Services.from_settings(settings, upgrade=True)
    yield services
    services.close()


@pytest.mark.parametrize("transport", ["local", "http"])
def test_fsck_on_s3(transport, s3_services, s3_url, s3_server, live_server, model_dir):
    if transport == "local":
        c = LocalClient("test", services=s3_services)
    else:
        live_server.switch.app = create_app(s3_services.settings, s3_services)
        c = HttpClient(live_server.url)
    weights = (model_dir / "weights" / "w.bin").read_bytes()
    c.register("fraud", model_dir)
    assert c.fsck()["ok"]
    bucket = s3_url.split("/")[2]
    key = f"blobs/sha256/{sha256(weights)[:2]}/{sha256(weights)[2:]}"
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.put_object(Bucket=bucket, Key=key, Body=bytes([weights[0] ^ 1]) + weights[1:])  # same size, other bytes
    report = c.fsck()
    assert report["corrupt"] == [sha256(weights)] and not report["ok"]
    assert [(m["kind"], m["name"], m["path"]) for m in report["manifests"]] == [
        ("model_version", "fraud/1", "weights/w.bin")]
    s3.delete_object(Bucket=bucket, Key=key)
    report = c.fsck()
    assert report["missing"] == [sha256(weights)] and report["corrupt"] == []
    c.close() if transport == "http" else None


def test_fsck_needs_an_admin(services):
    from modelyard.domain.entities import Principal
    from modelyard.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.fsck.check(Principal("alice"))
    assert services.fsck.check(Principal("root", is_admin=True)).ok
