"""The server's access log (``--access-log``): one line per request, through a real
``modelyard server`` process, with the request id the answer carries and nothing of
the query string."""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import free_port

CANARY = "tok-3f9c1d7e-canary"


class Server:
    def __init__(self, home: Path, *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "modelyard.cli", "server", "--port", str(self.port),
             "--home", str(home), *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("serving on")
        self._until_up()

    def _until_up(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.drain(settle=0.2)  # the lines of the probes

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 30) -> list[str]:
        """Lines up to the first holding ``text``; fails with what was seen."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            seen.append(line)
            if text in line:
                return seen
        raise AssertionError(f"no line with {text!r} in: {''.join(seen)}")

    def drain(self, settle: float = 1.0) -> list[str]:
        time.sleep(settle)
        out = []
        while not self.lines.empty():
            out.append(self.lines.get())
        return out

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[Server]:
    server = Server(tmp_path / "home", "--access-log")
    yield server
    server.stop()


def test_each_request_is_one_line_with_its_request_id_and_without_its_query(
        logged: Server) -> None:
    answer = httpx.get(f"{logged.url}/api/2.0/mlflow/registered-models/get",
                       params={"name": "nosuch", "token": CANARY})
    assert answer.status_code == 404
    rid = answer.headers["x-request-id"]
    line = logged.wait_for(f"rid={rid}")[-1]
    assert '"GET /api/2.0/mlflow/registered-models/get" 404 ' in line
    assert " modelyard.access INFO 127.0.0.1 " in line
    assert line.rstrip().endswith(f"rid={rid}")
    assert CANARY not in line and "token" not in line

    ok = httpx.get(f"{logged.url}/health")
    assert ok.status_code == 200
    assert '"GET /health" 200 ' in logged.wait_for(f"rid={ok.headers['x-request-id']}")[-1]


def test_a_path_cannot_forge_a_log_line(logged: Server) -> None:
    answer = httpx.get(f"{logged.url}/api/v1/models/x%0A127.0.0.1%20%22GET%20/forged%22%20200")
    rid = answer.headers["x-request-id"]
    lines = logged.wait_for(f"rid={rid}")
    line = lines[-1]
    assert line.startswith(tuple("0123456789")), line  # the line is ours, from its start
    assert "%0A" in line and '"GET /forged" 200' not in line
    assert not any(seen.startswith("127.0.0.1") for seen in lines)


def _send_raw(port: int, request: bytes, *, read: bool = True) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        if read:
            conn.recv(65536)


def test_a_quote_in_the_path_is_quoted(logged: Server) -> None:
    _send_raw(logged.port, b'GET /api/v1/models/a"b\\c HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    line = logged.wait_for("/api/v1/models/a")[-1]
    assert '"GET /api/v1/models/a%22b%5Cc" 404 ' in line, line


def test_a_client_gone_before_its_answer_is_499(tmp_path: Path) -> None:
    """Also under --log-level warning: the access log is its own choice."""
    server = Server(tmp_path / "home", "--access-log", "--log-level", "warning")
    try:
        _send_raw(server.port, b"POST /api/2.0/mlflow/registered-models/create HTTP/1.1\r\n"
                  b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n{\"name\": ", read=False)
        line = server.wait_for("registered-models/create")[-1]
        assert '"POST /api/2.0/mlflow/registered-models/create" 499 ' in line, line
        assert httpx.get(f"{server.url}/api/2.0/mlflow/registered-models/get",
                         params={"name": "m"}).status_code == 404  # nothing was created
    finally:
        server.stop()


def test_no_access_lines_unless_asked(tmp_path: Path) -> None:
    server = Server(tmp_path / "home")
    try:
        answer = httpx.get(f"{server.url}/health")
        assert answer.status_code == 200
        rest = server.drain()
        assert not any("modelyard.access" in line for line in rest), rest
    finally:
        server.stop()
