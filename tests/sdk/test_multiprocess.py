"""Stateless servers: two server processes on one database and one blob folder hand
out version numbers without gaps or duplicates."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from modelyard.client.http import HttpClient
from tests.live import free_port


def test_two_server_processes_share_one_store(db_url, tmp_path, model_dir):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port), "--workers", "2",
         "--home", str(tmp_path / "home"), "--backend-store-uri", db_url,
         "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.time() < deadline, proc.stderr.read().decode()
            time.sleep(0.05)
        client = HttpClient(url)
        client.create_model("shared")
        barrier = threading.Barrier(12)

        def register(_: int) -> int:
            c = HttpClient(url)  # a connection each, so both processes take requests
            try:
                barrier.wait()
                return c.register("shared", model_dir, create_model=False).version
            finally:
                c.close()

        with ThreadPoolExecutor(12) as pool:
            numbers = sorted(pool.map(register, range(12)))
        assert numbers == list(range(1, 13))
        client.close()
    finally:
        proc.terminate()
        proc.wait(15)


def test_workers_are_built_from_the_settings_they_are_handed(tmp_path, monkeypatch):
    """A worker gets the settings the server resolved as an argument (pickled into the
    worker process), and reads no environment of its own."""
    import pickle

    from modelyard.config import Settings
    from modelyard.server.asgi import ServerApp
    from modelyard.services import start_up

    settings = Settings.load({"home": str(tmp_path / "home"), "max_request_json": 4096,
                              "allowed_hosts": "registry.example"}, environ={})
    start_up(settings)
    monkeypatch.setenv("MODELYARD_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("MODELYARD_MAX_REQUEST_JSON", "5")
    factory = pickle.loads(pickle.dumps(ServerApp(settings)))  # what the worker receives
    app = factory()
    try:
        assert app.state.services.settings == settings
        assert not (tmp_path / "elsewhere").exists()
    finally:
        app.state.services.close()
