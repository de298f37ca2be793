"""Many small blobs in one request (``POST /api/v1/blobs:batch-read``): downloads of
versions with many small files use it over REST, still verify every file and never
leave a partial one visible; the route checks every digest before the first byte."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelyard.client.http import HttpClient
from modelyard.client.transfer import BATCH_FILE_MAX
from modelyard.domain.blobs import MAX_BATCH_BLOBS
from modelyard.errors import DigestMismatch, ServiceUnavailable
from tests.corrupt import blob_file, flip_byte, sha256


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


@pytest.fixture
def many(tmp_path: Path) -> Path:
    """600 small files in 6 folders (three batches), two of them the same bytes, an
    empty one, and one file above the batch limit."""
    src = tmp_path / "many"
    for i in range(600):
        d = src / f"part-{i // 100}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:03d}.bin").write_bytes(os.urandom(1000 + i))
    (src / "same-a.txt").write_bytes(b"same bytes\n")
    (src / "same-b.txt").write_bytes(b"same bytes\n")
    (src / "empty").write_bytes(b"")
    (src / "big.bin").write_bytes(os.urandom(BATCH_FILE_MAX + 10))
    return src


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_download_of_many_small_files(client, many: Path, tmp_path: Path) -> None:
    client.register("many", many)
    seen: list[int] = []
    out = client.download("many/1", tmp_path / "out", progress=seen.append)
    assert _tree(out) == _tree(many)  # nothing else (no partial file) is left behind
    assert sum(seen) == sum(p.stat().st_size for p in many.rglob("*") if p.is_file())
    # again into the same folder: every file is kept as it is, one damaged is replaced
    (out / "part-3" / "f300.bin").write_bytes(b"damaged")
    client.download("many/1", out)
    assert _tree(out) == _tree(many)


def test_both_transports_read_many_blobs(client, model_dir: Path) -> None:
    client.register("m", model_dir)
    weights = (model_dir / "weights" / "w.bin").read_bytes()
    mlmodel = (model_dir / "MLmodel").read_bytes()
    asked = [sha256(weights), sha256(mlmodel), sha256(weights)]
    got = [(d, n, b"".join(chunks)) for d, n, chunks in client.iter_blobs(asked)]
    assert got == [(sha256(weights), len(weights), weights),
                   (sha256(mlmodel), len(mlmodel), mlmodel)]
    # a frame the caller does not read is passed over
    assert [d for d, _, _ in client.iter_blobs(asked)] == asked[:2]


def test_batch_read_frames_and_refusals(http, services, model_dir: Path) -> None:
    with HttpClient(str(http.base_url).rstrip("/")) as c:
        c.register("m", model_dir)
    data = (model_dir / "MLmodel").read_bytes()
    digest = sha256(data)
    resp = http.post("/api/v1/blobs:batch-read", json={"digests": [digest]})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.modelyard.blobs"
    assert resp.content == f"{digest} {len(data)}\n".encode() + data + b"end\n"

    def refused(digests: object, status: int, code: str) -> str:
        r = http.post("/api/v1/blobs:batch-read", json={"digests": digests})
        assert r.status_code == status, r.text
        body = r.json()
        assert body["error_code"] == code and body["request_id"]
        return str(body["message"])

    unknown = "0" * 64
    assert unknown in refused([digest, unknown], 404, "RESOURCE_DOES_NOT_EXIST")
    refused(["../../etc/passwd"], 400, "INVALID_PARAMETER_VALUE")
    refused([], 400, "INVALID_PARAMETER_VALUE")
    refused([f"{i:064x}" for i in range(MAX_BATCH_BLOBS + 1)], 400,
            "INVALID_PARAMETER_VALUE")


def test_a_damaged_blob_is_never_a_finished_file(http, services, many: Path,
                                                  tmp_path: Path) -> None:
    url = str(http.base_url).rstrip("/")
    with HttpClient(url) as c:
        c.register("many", many)
        root = services.settings.blob_root
        flipped = sha256((many / "part-1" / "f100.bin").read_bytes())
        flip_byte(root, flipped, offset=10)
        with pytest.raises(DigestMismatch, match=r"part-1/f100\.bin"):
            c.download("many/1", tmp_path / "a")
        assert not (tmp_path / "a" / "part-1" / "f100.bin").exists()
        assert not list((tmp_path / "a").rglob("*.part"))

        cut = sha256((many / "part-4" / "f400.bin").read_bytes())
        path = blob_file(root, cut)
        os.chmod(path, 0o600)
        path.write_bytes(path.read_bytes()[:-7])  # shorter than the manifest says
        os.chmod(path, 0o400)
        flip_byte(root, flipped, offset=10)  # repaired
        with pytest.raises((ServiceUnavailable, DigestMismatch)):
            c.download("many/1", tmp_path / "b")
        assert not (tmp_path / "b" / "part-4" / "f400.bin").exists()
        assert not list((tmp_path / "b").rglob("*.part"))
