"""The deployment recipe, run: two server processes on one PostgreSQL database and one
S3-compatible bucket (moto) behind nginx with ``deploy/nginx.conf``; concurrent
registrations, alias moves, uploads, and downloads through the proxy and through each
server: proxied (every byte through a server), direct (presigned URLs straight from
the bucket) and as parallel ranged reads; then ``fsck`` finds nothing wrong."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modelyard.client.http import HttpClient
from tests.deploy.servers import start_nginx, start_server, stop

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

MODELS = 8

#: How a registration sends its bytes, by name: keyword arguments of the client.
#: Direct (presigned) uploads join here once the client has them, e.g.
#: ``"direct": {...}``; every mode is used, in turn, by the concurrent registrations.
UPLOAD_MODES: dict[str, dict[str, object]] = {"through the server": {}}

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
    with HttpClient(url, **UPLOAD_MODES[mode]) as c:  # type: ignore[arg-type]
        v = c.register(name, source)
        return v.model, v.version


def _model(root: Path, i: int) -> Path:
    d = root / f"m{i}"
    (d / "weights").mkdir(parents=True)
    (d / "MLmodel").write_text(f"flavor: test\nindex: {i}\n")
    (d / "weights" / "small.bin").write_bytes(os.urandom(20_000))
    if i % 4 == 0:  # several parts on S3 (parts are 8 MiB)
        (d / "weights" / "large.bin").write_bytes(os.urandom(9 * 1024 * 1024 + i))
    return d


def _tree(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def test_two_servers_behind_nginx(db_url: str, s3_url: str, tmp_path: Path) -> None:
    servers = [start_server(tmp_path, db_url, s3_url) for _ in range(2)]
    nginx, port = start_nginx(tmp_path, [p for _, p in servers])
    proxy = f"http://127.0.0.1:{port}"
    direct = [f"http://127.0.0.1:{p}" for _, p in servers]
    try:
        sources = [_model(tmp_path / "src", i) for i in range(MODELS)]

        modes = list(UPLOAD_MODES)

        def first(i: int) -> tuple[str, int]:
            return register(proxy if i % 2 else direct[i % 4 // 2], f"model-{i}",
                            sources[i], modes[i % len(modes)])

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
        large = MODELS // 4
        assert len(blob_gets) == large * (1 + 2), blob_gets
        assert answered.count("POST /api/v1/blobs:locate") == large * 2
    finally:
        stop(nginx)
        for proc, _ in servers:
            stop(proc)
