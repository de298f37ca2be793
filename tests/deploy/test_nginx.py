"""The deployment recipe, run: two server processes on one PostgreSQL database and one
S3-compatible bucket (moto) behind nginx with ``deploy/nginx.conf``; concurrent
registrations, alias moves, uploads (through a server, in parts through a server's part
route, in parts presigned straight to the bucket, and the SDK's defaults) and downloads
through the proxy and through each server: proxied (every byte through a server),
direct (presigned URLs straight from the bucket) and as parallel ranged reads; then
``fsck`` finds nothing wrong."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from modelyard.client.http import HttpClient
from modelyard.client.uploads import UploadOptions
from tests.deploy.servers import start_nginx, start_server, stop

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

MODELS = 8
#: The models with a 9 MiB file (several parts on S3), one per upload mode.
LARGE = [0, 2, 4, 6]

#: How a registration sends its bytes, by name: the client's upload options.  The 9 MiB
#: files go in two parts of 5 MiB in the "in parts" modes (through a server's part route,
#: or presigned straight to the bucket).
UPLOAD_MODES: dict[str, UploadOptions] = {
    "through the server": UploadOptions(direct=False),
    "through the server, in parts": UploadOptions(direct=False, multipart_threshold=5 << 20,
                                                  part_size=5 << 20),
    "direct, in parts": UploadOptions(multipart_threshold=5 << 20, part_size=5 << 20,
                                      direct_min_size=0),
    "defaults": UploadOptions(),
}

#: How a download reads its bytes: through the server, straight from the bucket, and
#: either way as parallel ranged reads (the 9 MiB files: two parts of 8 MiB).
DOWNLOAD_MODES: dict[str, dict[str, object]] = {
    "proxied": {"direct": False},
    "proxied ranged": {"direct": False, "ranged_above": 4 << 20, "range_workers": 3},
    "direct": {},
    "direct ranged": {"ranged_above": 4 << 20, "range_workers": 3},
}


def register(url: str, name: str, source: Path, mode: str) -> tuple[str, int]:
    """Register ``source`` as a new version of ``name`` through ``url``, its bytes sent
    as upload mode ``mode`` says (the one place registrations are made)."""
    with HttpClient(url, uploads=UPLOAD_MODES[mode]) as c:
        v = c.register(name, source)
        return v.model, v.version


def _model(root: Path, i: int) -> Path:
    d = root / f"m{i}"
    (d / "weights").mkdir(parents=True)
    (d / "MLmodel").write_text(f"flavor: test\nindex: {i}\n")
    (d / "weights" / "small.bin").write_bytes(os.urandom(20_000))
    if i in LARGE:
        (d / "weights" / "large.bin").write_bytes(os.urandom(9 * 1024 * 1024 + i))
    return d


def _tree(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def test_two_servers_behind_nginx(db_url: str, s3_url: str, tmp_path: Path) -> None:
    servers: list[tuple[Any, int]] = []
    nginx = None
    try:
        servers += [start_server(tmp_path, db_url, s3_url) for _ in range(2)]
        nginx, port = start_nginx(tmp_path, [p for _, p in servers])
        proxy = f"http://127.0.0.1:{port}"
        direct = [f"http://127.0.0.1:{p}" for _, p in servers]
        sources = [_model(tmp_path / "src", i) for i in range(MODELS)]

        modes = list(UPLOAD_MODES)

        def first(i: int) -> tuple[str, int]:
            # Each mode sends one large file, half of them through nginx.
            url = proxy if (i // 2) % 2 else direct[i // 4 % 2]
            return register(url, f"model-{i}", sources[i], modes[i // 2 % len(modes)])

        with ThreadPoolExecutor(4) as pool:
            registered = list(pool.map(first, range(MODELS)))
        assert sorted(registered) == sorted((f"model-{i}", 1) for i in range(MODELS))

        # More versions of one model and alias moves racing through both servers.
        for k in range(3):
            register(proxy, "model-0", sources[1], modes[k % len(modes)])
        moves = [(direct[k % 2] if k % 3 else proxy, 1 + k % 4) for k in range(12)]

        def move(args: tuple[str, int]) -> None:
            url, version = args
            with HttpClient(url) as c:
                c.set_alias("model-0", "production", version)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(move, moves))
        with HttpClient(direct[0]) as a, HttpClient(direct[1]) as b:
            assert a.resolve("model-0@production").version == \
                b.resolve("model-0@production").version

        def download(i: int) -> None:
            for n, url in enumerate((proxy, *direct)):
                for mode, options in DOWNLOAD_MODES.items():
                    with HttpClient(url, **options) as c:  # type: ignore[arg-type]
                        out = c.download(f"model-{i}/1", tmp_path / "out" / f"{i}-{n}-{mode}")
                    assert _tree(out) == _tree(sources[i]), (url, mode)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(download, range(MODELS)))
        with HttpClient(proxy) as c:
            report = c.fsck()
        assert report["ok"], report
        answered = (tmp_path / "nginx" / "logs" / "access.log").read_text()
        for p in (p for _, p in servers):
            assert f"127.0.0.1:{p}" in answered  # both servers took requests
        # Proxied reads of the large files went through nginx; direct ones asked
        # where to read (a locate per download of a model with a large file) and
        # took the bytes from the bucket.
        blob_gets = [line for line in answered.splitlines()
                     if " GET /api/v1/blobs/sha256/" in line]
        assert len(blob_gets) == len(LARGE) * (1 + 2), blob_gets
        assert answered.count("POST /api/v1/blobs:locate") == len(LARGE) * 2
        # Model 2 went in parts through nginx to a server's part route (two parts).
        assert answered.count("PUT /api/v1/uploads/") == 2
        # Model 4's parts went straight to the bucket (no part PUT through a server:
        # only model 2's two are above), and nothing is left under a temporary name.
        s3, bucket = _bucket(s3_url)
        large4 = _tree(sources[4])["weights/large.bin"]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
        assert [k for k in keys if k.endswith(large4[2:])]
        assert not [k for k in keys if "/uploads/" in k or "/tmp/" in k]
    finally:  # what started is stopped, even when a later start failed
        if nginx is not None:
            stop(nginx)
        for proc, _ in servers:
            stop(proc)


def _bucket(s3_url: str) -> tuple[Any, str]:
    import boto3
    from urllib.parse import parse_qs, urlparse

    parsed = urlparse(s3_url)
    endpoint = parse_qs(parsed.query)["endpoint_url"][0]
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1"), parsed.netloc
