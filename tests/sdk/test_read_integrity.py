"""Every read path that knows a file's sha256 checks it: a damaged blob is an error
naming the file, never bytes handed over as if they were good."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.errors import DigestMismatch
from tests.corrupt import flip_byte, sha256


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


def _weights(model_dir: Path) -> tuple[bytes, str]:
    data = (model_dir / "weights" / "w.bin").read_bytes()
    return data, sha256(data)


def test_version_reads_refuse_a_flipped_byte(client, services, model_dir, tmp_path):
    client.register("fraud", model_dir)
    data, digest = _weights(model_dir)
    assert client.read_file("fraud/1", "weights/w.bin") == data
    flip_byte(services.settings.blob_root, digest, offset=len(data) // 2)

    with pytest.raises(DigestMismatch, match=r"weights/w\.bin"):
        client.read_file("fraud/1", "weights/w.bin")
    received = b""
    with pytest.raises(DigestMismatch):
        for chunk in client.iter_file("fraud/1", "weights/w.bin"):
            received += chunk
    assert len(received) < len(data)  # the file never reaches its reader whole

    dest = tmp_path / "out"
    with pytest.raises(DigestMismatch, match=r"weights/w\.bin"):
        client.download("fraud/1", dest)
    assert not (dest / "weights" / "w.bin").exists()
    assert [p.name for p in dest.rglob("*") if p.is_file()] in ([], ["MLmodel"])
    # The untouched file still reads.
    assert client.read_file("fraud/1", "MLmodel") == b"flavor: test\n"


def test_run_artifact_reads_refuse_a_flipped_byte(client, services, model_dir, tmp_path):
    run = client.create_run()
    client.log_artifacts(run.run_id, model_dir, "model")
    data, digest = _weights(model_dir)
    assert client.read_run_artifact(run.run_id, "model/weights/w.bin") == data
    flip_byte(services.settings.blob_root, digest)

    with pytest.raises(DigestMismatch, match=r"model/weights/w\.bin"):
        client.read_run_artifact(run.run_id, "model/weights/w.bin")
    dest = tmp_path / "artifacts"
    with pytest.raises(DigestMismatch, match=r"weights/w\.bin"):
        client.download_run_artifacts(run.run_id, "model", dest)
    assert not any(p.name.endswith(".part") or p.name == "w.bin" for p in dest.rglob("*"))
