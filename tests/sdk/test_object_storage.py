"""The registry end to end with its blobs in object storage, over both transports: S3
(moto server), Google Cloud Storage (gcp-storage-emulator) and Azure Blob (Azurite)."""

from __future__ import annotations

import pytest

from modelyard.client.http import HttpClient
from modelyard.client.local import LocalClient
from modelyard.config import Settings
from modelyard.server.app import create_app
from modelyard.services import Services


@pytest.fixture(params=["s3", "gcs", "azure"])
def store_url(request):
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(params=["local", "http"])
def s3_client(request, tmp_path, store_url, live_server):
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": store_url},
                             environ={})
    services = Services.from_settings(settings, upgrade=True)
    if request.param == "local":
        yield LocalClient("test", services=services)
    else:
        live_server.switch.app = create_app(settings, services)
        c = HttpClient(live_server.url)
        yield c
        c.close()
    services.close()


def test_register_download_gc_on_object_storage(s3_client, model_dir, tmp_path):
    v1 = s3_client.register("fraud", model_dir)
    assert s3_client.upload_files(__import__("modelyard.client.hashing",
                                             fromlist=["scan"]).scan(model_dir)) == 0
    s3_client.set_alias("fraud", "production", v1.version)
    out = s3_client.download("fraud@production", tmp_path / "out")
    assert (out / "weights" / "w.bin").read_bytes() == (model_dir / "weights" / "w.bin").read_bytes()
    assert s3_client.read_file("fraud/1", "MLmodel") == b"flavor: test\n"
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.bin").write_bytes(b"only here")
    s3_client.register("drop", other)
    s3_client.delete_model("drop")
    report = s3_client.gc(grace_seconds=0, force=True)
    assert report["blobs_deleted"] == 1
    s3_client.download("fraud/1", tmp_path / "again")
