"""What a collection may be asked to do and what it reports: a grace period under an
hour only when forced, uploads in flight never touched, and a dry run that reports
exactly what the run right after removes."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

import modelyard

from modelyard.errors import InvalidParameter

HOUR = 3600


@pytest.mark.parametrize("body", [
    {"grace_seconds": 0},
    {"grace_seconds": HOUR - 1, "dry_run": True},
    {"grace_seconds": -1},
    {"grace_seconds": -1, "force": True},
])
def test_a_grace_below_an_hour_is_refused_unless_forced(http, body):
    resp = http.post("/api/v1/admin/gc", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "grace_seconds" in resp.json()["message"]


@pytest.mark.parametrize("body", [
    {"grace_seconds": 0, "force": True},
    {"grace_seconds": HOUR},
    {},
])
def test_a_grace_of_an_hour_or_a_forced_one_is_accepted(http, body):
    resp = http.post("/api/v1/admin/gc", json={**body, "dry_run": True})
    assert resp.status_code == 200, resp.text


def test_sdk_refuses_a_short_grace_unless_forced(client):
    with pytest.raises(InvalidParameter):
        client.gc(grace_seconds=0)
    assert client.gc(grace_seconds=0, force=True)["dry_run"] is False


def test_cli_refuses_a_short_grace_in_one_line_unless_forced(tmp_path):
    env = {**os.environ, "MODELYARD_URI": str(tmp_path / "registry")}
    modelyard.Client(env["MODELYARD_URI"]).close()  # gc never creates a registry

    def gc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "modelyard.cli", "gc", *args], env=env,
                              capture_output=True, text=True, timeout=120)

    refused = gc("--grace-seconds", "0")
    assert refused.returncode != 0
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "grace_seconds" in lines[0] and "force" in lines[0], lines
    assert "Traceback" not in refused.stderr
    forced = gc("--grace-seconds", "0", "--force")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.startswith("removed 0 versions")


def test_an_upload_in_flight_survives_a_forced_gc_with_grace_zero(server_url, http, services):
    data = os.urandom(7 << 20)  # under the test limit of 8 MiB
    digest = hashlib.sha256(data).hexdigest()
    tmp_dir = Path(services.blobs.tmp_dir)
    url = urlparse(server_url)
    with socket.create_connection((url.hostname, url.port)) as s:
        s.sendall(f"PUT /api/v1/blobs/sha256/{digest} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                  + data[:5 << 20])  # more than the server gathers before a write
        deadline = time.time() + 10
        while not any(p.stat().st_size > 0 for p in tmp_dir.iterdir()):
            assert time.time() < deadline, "the upload never reached its temporary file"
            time.sleep(0.01)
        report = http.post("/api/v1/admin/gc",
                           json={"grace_seconds": 0, "force": True}).json()["report"]
        assert report["temp_files_removed"] == 0
        s.sendall(data[5 << 20:])
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert http.get(f"/api/v1/blobs/sha256/{digest}").content == data


def _folder(root: Path, name: str, files: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for i in range(files):
        (folder / f"part-{i}.bin").write_bytes(os.urandom(4096 + i))
    return folder


def test_dry_run_reports_exactly_what_the_run_right_after_removes(client, services, tmp_path):
    shared = _folder(tmp_path, "shared", 2)
    client.register("kept", shared)                      # keeps the shared blobs alive
    client.register("kept", _folder(tmp_path, "gone-version", 3))  # v2: deleted below
    client.register("kept", shared)                      # v3: the same blobs as v1
    client.register("dropped", _folder(tmp_path, "gone-model", 2))
    client.register("dropped", _folder(tmp_path, "gone-model-2", 1))
    client.delete_version("kept", 2)
    client.delete_version("kept", 3)  # its blobs are still v1's: none is freed
    client.delete_model("dropped")
    stale = Path(services.blobs.tmp_dir) / "abandoned.part"
    stale.write_bytes(b"x" * 1000)
    old = time.time() - 2 * HOUR
    os.utime(stale, (old, old))

    dry = client.gc(dry_run=True, grace_seconds=0, force=True)
    assert stale.exists()
    real = client.gc(grace_seconds=0, force=True)
    assert (dry["dry_run"], real["dry_run"]) == (True, False)
    fields = ["versions_purged", "models_purged", "blobs_deleted", "bytes_freed",
              "temp_files_removed", "temp_bytes_freed"]
    assert {k: dry[k] for k in fields} == {k: real[k] for k in fields}
    gone = [p for d in ("gone-version", "gone-model", "gone-model-2")
            for p in (tmp_path / d).iterdir()]
    assert real["blobs_deleted"] == len(gone) == 6
    assert real["bytes_freed"] == sum(p.stat().st_size for p in gone)
    assert real["models_purged"] == 1 and real["versions_purged"] >= 2
    assert (real["temp_files_removed"], real["temp_bytes_freed"]) == (1, 1000)
    again = client.gc(dry_run=True, grace_seconds=0, force=True)
    assert {k: again[k] for k in fields} == dict.fromkeys(fields, 0)
    v1 = client.get_version("kept", 1)
    assert {f.path for f in v1.files or []} == {"part-0.bin", "part-1.bin"}
