"""`modelyard versions register` of a large file against a real server process: sent
in parts; killed part-way, a re-run continues the same upload session (the parts
already received stay) and registers the version."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live import free_port

MiB = 1 << 20
JSON = {"content-type": "application/json"}


def _server(home: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port), "--home",
         str(home), "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.time() < deadline
        time.sleep(0.05)


def _register(uri: str, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "versions", "register", "big", str(path),
         "--part-size", "5", "--parallel", "1"], env={**os.environ, "MODELYARD_URI": uri},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_register_killed_then_resumed(tmp_path):
    port = free_port()
    server = _server(tmp_path / "home", port)
    uri = f"http://127.0.0.1:{port}"
    try:
        data = os.urandom(80 * MiB)
        path = tmp_path / "weights.bin"
        path.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        cli = _register(uri, path)
        session: dict[str, object] = {}
        deadline = time.time() + 60
        while time.time() < deadline:
            resp = httpx.post(f"{uri}/api/v1/uploads", headers=JSON, json={
                "sha256": digest, "size": len(data), "part_size": 5 * MiB})
            session = resp.json()
            got = httpx.get(f"{uri}/api/v1/uploads/{session['upload_id']}").json()
            if len(got["received"]) >= 3:
                break
            time.sleep(0.02)
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        held = httpx.get(f"{uri}/api/v1/uploads/{session['upload_id']}").json()["received"]
        assert 3 <= len(held) < 16
        assert httpx.get(f"{uri}/api/v1/blobs/sha256/{digest}").status_code == 404
        again = _register(uri, path)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert out.strip().splitlines()[-1] == "1"
        assert httpx.get(f"{uri}/api/v1/uploads/{session['upload_id']}").status_code == 404
        assert hashlib.sha256(httpx.get(f"{uri}/api/v1/blobs/sha256/{digest}").content
                              ).hexdigest() == digest
    finally:
        server.terminate()
        server.wait()
