"""Bad input over REST: a clear 4xx JSON error, and nothing half-stored."""

from __future__ import annotations

import hashlib
import socket

import pytest


def _err(resp, status, code):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] == code and body["message"]
    assert "Traceback" not in body["message"]


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):  # REST validation is the same on every database
    return f"sqlite:///{tmp_path / 'meta.db'}"


def test_unknown_model_and_version(http):
    _err(http.get("/api/v1/models/nope"), 404, "RESOURCE_DOES_NOT_EXIST")
    http.post("/api/v1/models", json={"name": "m"})
    _err(http.get("/api/v1/models/m/versions/7"), 404, "RESOURCE_DOES_NOT_EXIST")
    _err(http.get("/api/v1/models/m/aliases/prod"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_duplicate_and_invalid_names(http):
    assert http.post("/api/v1/models", json={"name": "m"}).status_code == 201
    _err(http.post("/api/v1/models", json={"name": "m"}), 400, "RESOURCE_ALREADY_EXISTS")
    for bad in ["", "x" * 300, "a\x01b", "a/b"]:
        _err(http.post("/api/v1/models", json={"name": bad}), 400, "INVALID_PARAMETER_VALUE")


def test_malformed_json_wrong_types_and_content_type(http):
    _err(http.post("/api/v1/models", content=b"{nope",
                   headers={"content-type": "application/json"}), 400, "INVALID_PARAMETER_VALUE")
    _err(http.post("/api/v1/models", json={"name": 5}), 400, "INVALID_PARAMETER_VALUE")
    _err(http.post("/api/v1/models", json={"name": "x", "tags": "nope"}), 400,
         "INVALID_PARAMETER_VALUE")
    _err(http.post("/api/v1/models", data={"name": "x"}), 400, "INVALID_PARAMETER_VALUE")
    _err(http.get("/api/v1/models", params={"max_results": "lots"}), 400,
         "INVALID_PARAMETER_VALUE")
    _err(http.get("/api/v1/nothing-here"), 404, "ENDPOINT_NOT_FOUND")


def test_digest_mismatch_stores_nothing(http):
    data = b"hello world"
    wrong = hashlib.sha256(b"other").hexdigest()
    _err(http.put(f"/api/v1/blobs/sha256/{wrong}", content=data), 400, "BAD_DIGEST")
    assert http.post("/api/v1/blobs/missing", json={"digests": [wrong]}).json()["missing"] == [wrong]
    _err(http.put("/api/v1/blobs/sha256/not-a-digest", content=data), 400,
         "INVALID_PARAMETER_VALUE")


def test_upload_above_limit_refused(http):
    big = b"x" * (8 * 1024 * 1024 + 1)  # the test settings allow 8 MiB
    digest = hashlib.sha256(big).hexdigest()
    _err(http.put(f"/api/v1/blobs/sha256/{digest}", content=big), 413, "REQUEST_LIMIT_EXCEEDED")

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(9):
            yield b"x" * (1024 * 1024)

    _err(http.put(f"/api/v1/blobs/sha256/{digest}", content=chunks()), 413,
         "REQUEST_LIMIT_EXCEEDED")
    assert http.post("/api/v1/blobs/missing", json={"digests": [digest]}).json()["missing"]


def test_a_full_disk_is_a_507_and_leaves_nothing(http, services, monkeypatch):
    """The disk refuses the write (ENOSPC, here from fsync as on a thin volume): a 507
    with MLflow's code for it and the request id, no server path; nothing stored,
    no partial file left; the same upload works once there is room."""
    import errno
    import os

    data = b"z" * 300_000
    digest = hashlib.sha256(data).hexdigest()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    resp = http.put(f"/api/v1/blobs/sha256/{digest}", content=data)
    _err(resp, 507, "RESOURCE_EXHAUSTED")
    assert resp.json()["request_id"] and "storage is full" in resp.json()["message"]
    assert str(services.blobs.root) not in resp.text
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert os.listdir(services.blobs.tmp_dir) == []
    assert http.post("/api/v1/blobs/missing", json={"digests": [digest]}).json()["missing"]
    assert http.put(f"/api/v1/blobs/sha256/{digest}", content=data).status_code < 300


def test_truncated_upload_leaves_nothing(http, server_url, services):
    data = b"y" * 100_000
    digest = hashlib.sha256(data).hexdigest()
    host, port = server_url.split("//")[1].split(":")
    import time

    def parts() -> list:
        return list(services.blobs.tmp_dir.iterdir())

    with socket.create_connection((host, int(port))) as s:
        s.sendall(f"PUT /api/v1/blobs/sha256/{digest} HTTP/1.1\r\nHost: {host}\r\n"
                  f"Content-Length: {len(data)}\r\n\r\n".encode() + data[:40_000])
        for _ in range(200):  # the server has started writing the part
            if parts():
                break
            time.sleep(0.01)
        assert parts()
    for _ in range(200):  # then notices the disconnect and discards it
        if not parts():
            break
        time.sleep(0.025)
    assert http.post("/api/v1/blobs/missing", json={"digests": [digest]}).json()["missing"]
    assert not list(services.blobs.tmp_dir.iterdir())
    # a retry of the same upload succeeds
    assert http.put(f"/api/v1/blobs/sha256/{digest}", content=data).status_code == 200
    assert http.post("/api/v1/blobs/missing", json={"digests": [digest]}).json()["missing"] == []


def _commit(http, path, digest, size):
    return http.post("/api/v1/models/m/versions",
                     json={"files": [{"path": path, "size": size, "sha256": digest}]})


@pytest.mark.parametrize("path", ["../etc/passwd", "/abs", "a\\b", "%2e%2e/x", "a/%2E%2E/b",
                                  "x\x00y", "a/../b", "./a", "a/"])
def test_bad_manifest_paths(http, path):
    data = b"content"
    digest = hashlib.sha256(data).hexdigest()
    http.post("/api/v1/models", json={"name": "m"})
    http.put(f"/api/v1/blobs/sha256/{digest}", content=data)
    _err(_commit(http, path, digest, len(data)), 400, "INVALID_PARAMETER_VALUE")
    assert http.get("/api/v1/models/m").json()["model"]["latest_version"] is None


def test_manifest_size_must_match_blob(http):
    data = b"content"
    digest = hashlib.sha256(data).hexdigest()
    http.post("/api/v1/models", json={"name": "m"})
    http.put(f"/api/v1/blobs/sha256/{digest}", content=data)
    _err(_commit(http, "a.bin", digest, 3), 400, "INVALID_PARAMETER_VALUE")
    _err(_commit(http, "a.bin", digest, -1), 400, "INVALID_PARAMETER_VALUE")
    assert _commit(http, "a.bin", digest, len(data)).status_code == 201


def _raw_get(server_url, path):
    """A GET whose path no client library normalises first."""
    host, port = server_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize("path", ["..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd",
                                  "a%00b", "../../../../etc/passwd", "sub/../../x",
                                  "%252e%252e/x", "..\\..\\x"])
def test_file_download_traversal(http, server_url, path):
    data = b"content"
    digest = hashlib.sha256(data).hexdigest()
    http.post("/api/v1/models", json={"name": "m"})
    http.put(f"/api/v1/blobs/sha256/{digest}", content=data)
    _commit(http, "a.bin", digest, len(data))
    status, body = _raw_get(server_url, f"/api/v1/models/m/versions/1/files/{path}")
    assert status in (400, 404), body
    assert b"root:" not in body and b"error_code" in body


def test_download_supports_range(http):
    data = bytes(range(256)) * 10
    digest = hashlib.sha256(data).hexdigest()
    http.put(f"/api/v1/blobs/sha256/{digest}", content=data)
    resp = http.get(f"/api/v1/blobs/sha256/{digest}", headers={"Range": "bytes=10-19"})
    assert resp.status_code == 206 and resp.content == data[10:20]
    full = http.get(f"/api/v1/blobs/sha256/{digest}")
    assert full.content == data and full.headers["etag"].strip('"') == digest


def test_unknown_host_header_refused(services, live_server):
    """With auth off, a Host that is not ours is refused (DNS rebinding)."""
    import httpx

    from modelyard.server.app import create_app

    live_server.switch.app = create_app(services.settings, services, allowed_hosts=["127.0.0.1"])
    with httpx.Client(base_url=live_server.url) as c:
        _err(c.get("/api/v1/models", headers={"Host": "evil.example"}), 403, "PERMISSION_DENIED")
        assert c.get("/api/v1/models").status_code == 200
        assert c.get("/api/v1/models", headers={"Host": "localhost:5000"}).status_code == 200


def test_openapi_schema(http):
    schema = http.get("/api/v1/openapi.json").json()
    assert "/api/v1/models" in schema["paths"]
    assert "/api/v1/models/{name}/versions/{version}" in schema["paths"]
