"""Datasets come back: download a dataset version, read one of its files, verified by
sha256, over both transports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelyard.errors import DigestMismatch, NotFound


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "parts").mkdir(parents=True)
    (d / "train.csv").write_text("a,b\n1,2\n3,4\n")
    for i in range(20):
        (d / "parts" / f"p{i:02d}.bin").write_bytes(os.urandom(3000 + i))
    return d


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_download_dataset_by_version_and_latest(client, data_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    first = client.log_dataset(data_dir, "tx")
    (data_dir / "train.csv").write_text("a,b\n5,6\n")
    second = client.log_dataset(data_dir, "tx")
    assert (first.version, second.version) == (1, 2)

    seen: list[int] = []
    out = client.download_dataset("tx@latest", tmp_path / "latest", progress=seen.append)
    assert _tree(out) == _tree(data_dir) and sum(seen) == second.size
    old = client.download_dataset("tx/1", tmp_path / "v1")
    assert (old / "train.csv").read_text() == "a,b\n1,2\n3,4\n"
    assert client.read_dataset_file("tx/2", "train.csv") == b"a,b\n5,6\n"
    assert b"".join(client.iter_dataset_file("tx", "parts/p03.bin")) == \
        (data_dir / "parts" / "p03.bin").read_bytes()


def test_missing_dataset_file_and_version_are_not_found(client, data_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    client.log_dataset(data_dir, "tx")
    with pytest.raises(NotFound, match="has no file"):
        client.read_dataset_file("tx/1", "nope.csv")
    with pytest.raises(NotFound):
        client.download_dataset("tx/9", tmp_path / "x")


def test_a_corrupt_blob_is_refused(client, services, data_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    dv = client.log_dataset(data_dir, "tx")
    entry = next(f for f in dv.files if f.path == "train.csv")
    blob = Path(services.settings.blob_root) / "sha256" / entry.sha256[:2] / entry.sha256[2:]
    os.chmod(blob, 0o600)
    blob.write_bytes(b"a,b\n6,6\n7,7\n")
    with pytest.raises(DigestMismatch):
        client.read_dataset_file("tx/1", "train.csv")
    with pytest.raises(DigestMismatch):
        client.download_dataset("tx/1", tmp_path / "out")
    assert not (tmp_path / "out" / "train.csv").exists()
