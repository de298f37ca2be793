"""A server starts serving whatever its storage does: the sweep of stale partial
uploads at start-up runs beside serving, so a storage that accepts connections and
never answers (a dropped route, a hung proxy) does not hold ``/health`` back; and
``/ready`` says so within its deadline (5 s), each probe, instead of waiting for the
storage client's timeouts and retries."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.live import free_port


def test_serves_while_the_storage_hangs(tmp_path: Path) -> None:
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(64)  # connections complete in the backlog; nothing is ever read
    port = free_port()
    uri = (f"s3://bucket/blobs?endpoint_url=http://127.0.0.1:{hung.getsockname()[1]}"
           "&region=us-east-1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
         "--home", str(tmp_path / "home"), "--artifacts-uri", uri, "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "x",
             "AWS_SECRET_ACCESS_KEY": "y"})
    try:
        deadline = time.monotonic() + 30  # the storage client alone would wait 60 s a try
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the server did not answer /health"
                time.sleep(0.1)
        assert resp.status_code == 200
        for _ in range(3):  # the later probes wait on the check still running
            started = time.monotonic()
            ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=30)
            assert time.monotonic() - started < 10
            assert ready.status_code == 503
            assert ready.json()["checks"] == {"database": "ok", "storage": "TIMEOUT"}
    finally:
        proc.terminate()
        proc.wait(15)
        hung.close()
