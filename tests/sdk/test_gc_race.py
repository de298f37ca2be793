"""Garbage collection racing manifest commits, through two real server processes on one
database and one blob folder: every version that comes out READY downloads byte for
byte, whichever of the two ran first."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.live import free_port

ROUNDS = 20
FILES = 12


def start_server(tmp_path: Path, db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    """A server process on the shared database and blob folder of ``tmp_path``."""
    port = free_port()
    log = open(tmp_path / f"server-{port}.log", "wb")  # noqa: SIM115 - kept for the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
         "--home", str(tmp_path / "home"), "--backend-store-uri", db_url,
         "--artifacts-uri", str(tmp_path / "blobs"), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=log)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise AssertionError((tmp_path / f"server-{port}.log").read_text())
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def race(a: httpx.Client, b: httpx.Client,
         manifest: list[dict[str, object]]) -> tuple[httpx.Response, httpx.Response]:
    """A version commit on one server and a gc (grace 0, forced) on the other, let go
    at the same moment: (commit answer, gc answer)."""
    barrier = threading.Barrier(2)

    def commit() -> httpx.Response:
        barrier.wait()
        return a.post("/models/raced/versions", json={"files": manifest})

    def collect() -> httpx.Response:
        barrier.wait()
        return b.post("/admin/gc", json={"grace_seconds": 0, "force": True})

    with ThreadPoolExecutor(2) as pool:
        committing, collecting = pool.submit(commit), pool.submit(collect)
        return committing.result(), collecting.result()


def test_commits_racing_gc_on_two_servers_never_lose_a_byte(db_url, tmp_path):
    servers = [start_server(tmp_path, db_url) for _ in range(2)]
    (_, url_a), (_, url_b) = servers
    try:
        with httpx.Client(base_url=url_a + "/api/v1", timeout=60) as a, \
                httpx.Client(base_url=url_b + "/api/v1", timeout=60) as b:
            assert a.post("/models", json={"name": "raced"}).status_code == 201
            ready: dict[int, dict[str, bytes]] = {}
            refused = collected = 0
            for r in range(ROUNDS):
                files = {f"weights/{i}.bin": os.urandom(1024 + r * 7 + i) for i in range(FILES)}
                manifest = [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                            for p, d in files.items()]
                for f in manifest:
                    put = a.put(f"/blobs/sha256/{f['sha256']}", content=files[f["path"]])
                    assert put.status_code == 200, put.text
                done, gc = race(a, b, manifest)
                assert gc.status_code == 200, gc.text
                collected += gc.json()["report"]["blobs_deleted"]
                if done.status_code == 201:
                    ready[done.json()["version"]["version"]] = files
                else:  # gc went first: the commit is refused cleanly, nothing half-made
                    assert done.status_code == 400, done.text
                    assert done.json()["error_code"] == "INVALID_PARAMETER_VALUE"
                    assert "not uploaded" in done.json()["message"]
                    refused += 1
            listed = b.get("/models/raced/versions", params={"max_results": 1000}).json()
            assert sorted(v["version"] for v in listed["versions"]) == sorted(ready)
            for number, files in ready.items():
                for path, data in files.items():
                    got = b.get(f"/models/raced/versions/{number}/files/{path}")
                    assert got.status_code == 200, (number, path, got.text)
                    assert got.content == data, (number, path)
            assert ready, "no commit ever won the race"
            # Each refused commit's blobs were collected; nothing of a READY one was.
            assert collected == refused * FILES
    finally:
        for proc, _ in servers:
            stop(proc)
