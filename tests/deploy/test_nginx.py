"""The deployment recipe, run: two server processes on one PostgreSQL database and one
S3-compatible bucket (moto) behind nginx with ``deploy/nginx.conf``; concurrent
registrations, alias moves, uploads and downloads through the proxy and through each
server, then ``fsck`` finds nothing wrong."""

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

        def register(i: int) -> tuple[str, int]:
            with HttpClient(proxy if i % 2 else direct[i % 4 // 2]) as c:
                v = c.register(f"model-{i}", sources[i])
                return v.model, v.version

        with ThreadPoolExecutor(4) as pool:
            registered = list(pool.map(register, range(MODELS)))
        assert sorted(registered) == sorted((f"model-{i}", 1) for i in range(MODELS))

        # More versions of one model and alias moves racing through both servers.
        with HttpClient(proxy) as c:
            for _ in range(3):
                c.register("model-0", sources[1])
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
                with HttpClient(url) as c:
                    out = c.download(f"model-{i}/1", tmp_path / "out" / f"{i}-{n}")
                assert _tree(out) == _tree(sources[i])

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(download, range(MODELS)))
        with HttpClient(proxy) as c:
            report = c.fsck()
        assert report["ok"], report
        answered = (tmp_path / "nginx" / "logs" / "access.log").read_text()
        for p in (p for _, p in servers):
            assert f"127.0.0.1:{p}" in answered  # both servers took requests
    finally:
        stop(nginx)
        for proc, _ in servers:
            stop(proc)
