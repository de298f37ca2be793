"""Request bodies are refused at their route's limit while they stream in: a declared
length above it before a byte is read, a chunked body as soon as it passes it, and
the server's memory stays flat either way."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.config import Settings
from tests.api.test_every_route import _routes

JSON_LIMIT = 1 << 20
UPLOAD_LIMIT = 8 << 20
BIG = 200 << 20
CHUNK = b"x" * (1 << 20)


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'meta.db'}"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": db_url,
                          "max_request_json": JSON_LIMIT, "max_upload_size": UPLOAD_LIMIT},
                         environ={})


def _rss_mb() -> float:
    """Resident memory of this process, where the live server runs (a thread)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class _Peak:
    def __init__(self) -> None:
        self.base = _rss_mb()
        self.peak = self.base
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def growth(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak - self.base


def _send(server_url: str, method: str, path: str, body: Iterator[bytes], *,
          length: int | None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Send a request over a raw socket while reading the answer, which may come
    before the body is sent (the sender stops when the server closes)."""
    host, port = server_url.split("//")[1].split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    head = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
            "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    head.append(f"Content-Length: {length}" if length is not None
                else "Transfer-Encoding: chunked")

    def pump() -> None:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
            for piece in body:
                sock.sendall(piece if length is not None
                             else b"%x\r\n" % len(piece) + piece + b"\r\n")
            if length is None:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: what these tests expect

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    raw = b""
    try:
        while b"\r\n\r\n" not in raw or not _complete(raw):
            data = sock.recv(65536)
            if not data:
                break
            raw += data
    finally:
        sock.close()
        sender.join(60)
    head_bytes, _, rest = raw.partition(b"\r\n\r\n")
    return int(head_bytes.split()[1]), rest


def _complete(raw: bytes) -> bool:
    head, _, rest = raw.partition(b"\r\n\r\n")
    m = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE)
    return m is not None and len(rest) >= int(m.group(1))


def _big_json() -> Iterator[bytes]:
    yield b'{"name": "'
    for _ in range(BIG // len(CHUNK)):
        yield CHUNK
    yield b'"}'


ROUTES = [("POST", "/api/v1/models"), ("POST", "/api/2.0/mlflow/registered-models/create")]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_huge_json_body_is_cut_with_flat_memory(server_url, http, method, path, chunked):
    peak = _Peak()
    started = time.monotonic()
    status, body = _send(server_url, method, path, _big_json(),
                         length=None if chunked else BIG + 12)
    growth = peak.growth()
    assert growth < 40, f"server memory grew by {growth:.0f} MB"
    assert status == 413, body[:300]
    data = json.loads(body)
    assert data["error_code"] == "REQUEST_LIMIT_EXCEEDED" and data["request_id"]
    assert time.monotonic() - started < 60
    assert http.get("/api/v1/models").json()["models"] == []


def test_every_route_has_a_limit(app, server_url):
    """A declared length above the JSON limit is refused before reading on every
    route but the blob uploads, whose limit is the upload limit."""
    seen = 0
    for method, route in _routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        path = re.sub(r"\{[^}]+\}", "x", route)
        upload = route in ("/api/v1/blobs/sha256/{digest}",
                           "/api/v1/uploads/{upload_id}/parts/{part}",
                           "/api/2.0/mlflow-artifacts/artifacts/{path:path}")
        declared = (UPLOAD_LIMIT if upload else JSON_LIMIT) + 1
        status, body = _send(server_url, method, path, iter([b"{}"]), length=declared)
        assert status == 413, (method, route, body[:200])
        assert json.loads(body)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
        seen += 1
    assert seen > 80


def test_blob_upload_has_the_upload_limit(http):
    data = b"y" * (2 * JSON_LIMIT)  # above the JSON limit, below the upload limit
    digest = hashlib.sha256(data).hexdigest()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 65536):
            yield data[i:i + 65536]

    assert http.put(f"/api/v1/blobs/sha256/{digest}", content=chunks()).status_code == 200
    big = b"z" * (UPLOAD_LIMIT + 1)
    resp = http.put(f"/api/v1/blobs/sha256/{hashlib.sha256(big).hexdigest()}",
                    content=iter([big[i:i + (1 << 20)] for i in range(0, len(big), 1 << 20)]))
    assert resp.status_code == 413 and resp.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_json_route_between_the_limits_is_refused_when_chunked(http):
    body = json.dumps({"name": "m", "description": "d" * (JSON_LIMIT + 10)}).encode()
    resp = http.post("/api/v1/models", content=iter([body[:1000], body[1000:]]),
                     headers={"content-type": "application/json"})
    assert resp.status_code == 413 and resp.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert http.get("/api/v1/models").json()["models"] == []
