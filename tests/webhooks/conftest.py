"""A real registry server process (or several) with the webhook worker on, allowed to
reach loopback receivers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import free_port
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., str]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(db_url: str, workers: int = 1, allow: str = "127.0.0.1",
              timeout_s: int = 1) -> str:
        port = free_port()
        env = dict(os.environ, MODELYARD_WEBHOOK_BACKOFF_MS="200",
                   MODELYARD_WEBHOOK_TIMEOUT_SECONDS=str(timeout_s),
                   MODELYARD_WEBHOOK_RETRY_SECONDS="30")
        proc = subprocess.Popen(
            [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
             "--workers", str(workers), "--home", str(tmp_path / "home"),
             "--backend-store-uri", db_url, "--log-level", "warning",
             "--allow-webhook-hosts", allow],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "no server")
            time.sleep(0.05)

    yield start
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(15)
