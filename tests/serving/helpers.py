"""A scoring server on a loopback port, in a thread, for the serving tests."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import uvicorn

from modelyard.serving.app import create_app
from modelyard.serving.config import ServeConfig
from modelyard.serving.runtime import Runtime
from tests.live import free_port


class ServingServer:
    def __init__(self, client: Any = None, **config: Any) -> None:
        self.port = free_port()
        self.config = ServeConfig(port=self.port, **config)
        self.runtime = Runtime(self.config, client)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServingServer:
        self.runtime.start()
        cfg = uvicorn.Config(create_app(self.runtime), host="127.0.0.1", port=self.port,
                             log_level="warning", access_log=False)
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("scoring server did not start")
            time.sleep(0.01)
        self.http = httpx.Client(base_url=self.url, timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(10)
        self.runtime.stop()

    def metric(self, line_prefix: str) -> float:
        """The sum of the values of /metrics lines that start with ``line_prefix``."""
        text = self.http.get("/metrics").text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(line_prefix))
