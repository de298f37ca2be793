"""A real HTTP receiver on loopback for webhook tests: each path behaves differently."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """``/ok`` answers 200; ``/flaky`` 500 twice, then 200; ``/hang`` sleeps past any
    timeout; ``/redirect`` answers 302 to the cloud metadata address."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                with outer.lock:
                    n = outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                    outer.received.append({"path": self.path, "body": raw,
                                           "json": json.loads(raw), "at": time.time(),
                                           "headers": {k.lower(): v for k, v in
                                                       self.headers.items()}})
                if self.path == "/hang":
                    time.sleep(3)
                if self.path == "/flaky" and n <= 2:
                    return self._answer(500, b"not yet")
                if self.path == "/redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._answer(200, b"thanks")

            def _answer(self, code: int, body: bytes) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the sender gave up (a timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def on(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.received if r["path"] == path]

    def wait(self, path: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.on(path)) >= count:
                return self.on(path)
            time.sleep(0.02)
        return self.on(path)
