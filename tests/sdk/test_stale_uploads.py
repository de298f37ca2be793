"""Partial uploads a killed server left behind are removed at start-up and by gc, and a
gc dry run reports them; uploads in flight (written to recently) are never touched.
On S3, multipart uploads never completed are aborted by gc after the same age."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from modelyard.client.local import LocalClient
from modelyard.config import Settings
from modelyard.services import Services
from tests.live import free_port

HOUR = 3600


def _start_server(home: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
         "--home", str(home), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.time() < deadline, proc.stderr.read().decode()
        time.sleep(0.05)


def _parts(home: Path) -> list[Path]:
    return sorted((home / "blobs" / "tmp").iterdir())


def _gc(home: Path, **kwargs: Any) -> dict[str, Any]:
    client = LocalClient(str(home))
    try:
        return client.gc(**kwargs)
    finally:
        client.close()


def test_partial_upload_of_a_killed_server_is_reported_and_removed(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    proc = _start_server(home, port)
    data = os.urandom(16 << 20)
    digest = hashlib.sha256(data).hexdigest()
    sent = 9 << 20  # more than the server gathers before a write
    try:
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(f"PUT /api/v1/blobs/sha256/{digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Content-Length: {len(data)}\r\n\r\n".encode() + data[:sent])
            deadline = time.time() + 10
            while not (_parts(home) and _parts(home)[0].stat().st_size > 0):
                assert time.time() < deadline, "the server never started the part"
                time.sleep(0.01)
            proc.kill()  # SIGKILL in the middle of the upload
            proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    [stale] = _parts(home)
    size = stale.stat().st_size
    assert 0 < size <= sent
    old = time.time() - HOUR
    os.utime(stale, (old, old))  # an hour without a write
    in_flight = home / "blobs" / "tmp" / "other-upload.part"
    in_flight.write_bytes(b"still arriving")

    report = _gc(home, dry_run=True)
    assert (report["temp_files_removed"], report["temp_bytes_freed"]) == (1, size)
    assert _parts(home) == sorted([stale, in_flight])  # a dry run removes nothing

    proc = _start_server(home, port)  # start-up removes the stale part only
    try:
        deadline = time.time() + 10  # the sweep runs beside serving
        while _parts(home) != [in_flight] and time.time() < deadline:
            time.sleep(0.05)
        assert _parts(home) == [in_flight]
        assert httpx.put(f"http://127.0.0.1:{port}/api/v1/blobs/sha256/{digest}",
                         content=data, timeout=30).status_code == 200
    finally:
        proc.terminate()
        proc.wait(15)

    os.utime(in_flight, (old, old))  # abandoned too, now: gc removes it
    report = _gc(home, grace_seconds=HOUR)
    assert (report["temp_files_removed"], report["temp_bytes_freed"]) == (1, 14)
    assert _parts(home) == []


def test_gc_aborts_abandoned_s3_multipart_uploads_only(tmp_path, s3_url):
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": s3_url,
                              "stale_upload_seconds": 2}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    client = LocalClient("test", services=services)
    s3, bucket = services.blobs.s3, services.blobs.bucket
    try:
        abandoned = services.blobs.writer(None, 1 << 30)
        abandoned.write(b"a" * (9 << 20))  # one part sent, then the writer dies
        time.sleep(3)
        in_flight = services.blobs.writer(None, 1 << 30)
        in_flight.write(b"b" * (9 << 20))

        report = client.gc(dry_run=True)
        assert (report["temp_files_removed"], report["temp_bytes_freed"]) == (1, 9 << 20)
        assert len(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])) == 2

        report = client.gc()
        assert (report["temp_files_removed"], report["temp_bytes_freed"]) == (1, 9 << 20)
        [left] = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
        assert left["UploadId"] == in_flight.upload_id
        in_flight.write(b"c")
        in_flight.commit()  # the upload in flight completes
    finally:
        services.close()
