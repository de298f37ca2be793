"""Failed logins are rate limited across server processes: two real servers on one
database share the sliding window (the count is in the metadata store), so guesses
spread over both get no more tries than guesses at one."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import modelyard
from tests.access.test_paging_visibility import backend_db_url
from tests.conftest import BACKENDS
from tests.live import free_port

SRC = str(Path(modelyard.__file__).resolve().parents[1])


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _server_dbs: dict[str, str]) -> str:
    return backend_db_url(request.param, tmp_path, _server_dbs)


@pytest.fixture
def two_servers(db_url: str, admin_token: str, tmp_path: Path) -> Iterator[list[str]]:
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    procs, urls = [], []
    for i in range(2):
        port = free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
             "--backend-store-uri", db_url, "--artifacts-uri", str(tmp_path / "blobs"),
             "--home", str(tmp_path / f"home{i}"), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.time() + 60
            while True:
                assert proc.poll() is None, "server exited"
                try:
                    if httpx.get(url + "/api/v1/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.time() < deadline, "server did not start"
                time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(20)


def test_failed_logins_count_across_processes(two_servers: list[str]) -> None:
    a, b = two_servers
    codes = []
    for i in range(10):  # five at each process: ten in the shared window
        url = a if i % 2 else b
        codes.append(httpx.get(url + "/api/v1/whoami",
                               headers=_basic("root", f"guess-{i}")).status_code)
    assert codes == [401] * 10
    for url in (a, b):
        resp = httpx.get(url + "/api/v1/whoami", headers=_basic("root", "guess-x"))
        assert resp.status_code == 429, resp.text
        assert int(resp.headers["Retry-After"]) >= 1
        assert resp.json()["error_code"] == "TOO_MANY_REQUESTS"
