"""The server's side of MLflow-compatible calls, without a client or a socket:
`python benchmarks/mlflow_server_side.py [--calls 300] [--only get_by_alias ...]`.

The app is built as ``modelyard server`` builds it (SQLite and a local folder in a temp
directory) and called as an ASGI app on uvloop with the requests the mlflow client
sends, so what is timed is the server's work alone: middleware, routing, dependencies,
the thread-pool hop, the domain and the SQL, the JSON answer.  ``to_auth`` is the time
until authentication starts (middleware and routing).  Each figure is the p50 of
``--calls`` calls after 20 warm-up calls.  The searches read a page of 100: models
(of 110 named ``bench-*``), versions (60 tagged) and runs (100 with the metric).
(Not a ``bench_*.py``: `run.py` runs the client-side benchmarks, which are the
targets; this one says where a call's time goes.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import uvloop

from modelyard.config import Settings
from modelyard.server import auth
from modelyard.server.asgi import ServerApp
from modelyard.services import start_up

P = "/api/2.0/mlflow"


class Driver:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = 0.0

    async def call(self, method: str, path: str, body: Any = None,
                   query: dict[str, Any] | None = None) -> Any:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = [(b"host", b"127.0.0.1:5000"), (b"user-agent", b"mlflow-python-client"),
                   (b"accept", b"*/*"), (b"connection", b"keep-alive")]
        if body is not None:
            headers += [(b"content-type", b"application/json"),
                        (b"content-length", str(len(raw)).encode())]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": urlencode(query or {}, doseq=True).encode(),
                 "headers": headers, "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 5000), "state": {}}
        messages = [{"type": "http.request", "body": raw, "more_body": False}]

        async def receive() -> Any:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # the client never disconnects

        out: dict[str, Any] = {"status": 0, "body": b""}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            else:
                out["body"] += message.get("body", b"")

        self.started = time.perf_counter()
        await self.app(scope, receive, send)
        if out["status"] != 200:
            raise RuntimeError(f"{method} {path}: {out['status']} {out['body'][:200]!r}")
        return json.loads(out["body"]) if out["body"] else None


async def measure(calls: int, only: list[str]) -> None:
    settings = Settings.load({"home": tempfile.mkdtemp(prefix="mlflow-server-side-"),
                              "log_level": "warning"})
    start_up(settings)
    driver = Driver(ServerApp(settings)())
    to_auth: list[float] = []
    rule = auth.route_rule

    def timed_rule(request: Any) -> Any:  # the first thing authentication does
        to_auth.append(time.perf_counter() - driver.started)
        return rule(request)

    auth.route_rule = timed_rule
    c = driver.call
    exp = (await c("POST", P + "/experiments/create", {"name": "bench"}))["experiment_id"]

    async def new_run() -> str:
        found = await c("POST", P + "/runs/create", {"experiment_id": exp, "start_time": 1})
        return str(found["run"]["info"]["run_id"])

    run = await new_run()
    runs = [await new_run() for _ in range(20)]
    await c("POST", P + "/registered-models/create", {"name": "bench-0000"})
    source = {"name": "bench-0000", "source": f"runs:/{run}/model", "run_id": run}
    for _ in range(60):
        await c("POST", P + "/model-versions/create",
                {**source, "tags": [{"key": "k", "value": "odd"}]})
    for i in range(50):
        await c("POST", P + "/registered-models/alias",
                {"name": "bench-0000", "alias": f"a{i}", "version": str(1 + i)})
    for i in range(1, 110):
        await c("POST", P + "/registered-models/create", {"name": f"bench-{i:04d}"})
    searched = [await new_run() for _ in range(100)]
    for i, found in enumerate(searched):
        await c("POST", P + "/runs/log-metric", {"run_id": found, "key": "acc",
                                                 "value": (1 + i) / 200, "timestamp": 1})
    cases: dict[str, Callable[[int], Awaitable[Any]]] = {
        "health": lambda i: c("GET", "/health"),
        "get_by_alias": lambda i: c("GET", P + "/registered-models/alias",
                                    query={"name": "bench-0000", "alias": f"a{i % 50}"}),
        "get_version": lambda i: c("GET", P + "/model-versions/get",
                                   query={"name": "bench-0000", "version": str(1 + i % 50)}),
        "get_model": lambda i: c("GET", P + "/registered-models/get",
                                 query={"name": "bench-0000"}),
        "search_models_page": lambda i: c("GET", P + "/registered-models/search", query={
            "filter": "name LIKE 'bench-%'", "max_results": 100}),
        "set_alias": lambda i: c("POST", P + "/registered-models/alias", {
            "name": "bench-0000", "alias": f"a{i % 50}", "version": str(1 + i % 60)}),
        "create_version": lambda i: c("POST", P + "/model-versions/create", source),
        "create_model": lambda i: c("POST", P + "/registered-models/create",
                                    {"name": f"m-{time.time_ns()}"}),
        "search_versions_tag": lambda i: c("GET", P + "/model-versions/search", query={
            "filter": "tags.k = 'odd'", "max_results": 100}),
        "create_run": lambda i: new_run(),
        "log_metric": lambda i: c("POST", P + "/runs/log-metric", {
            "run_id": runs[i % 20], "key": "acc", "value": i / 2000, "timestamp": 1000 + i,
            "step": i}),
        "log_param": lambda i: c("POST", P + "/runs/log-parameter", {
            "run_id": runs[i % 20], "key": f"p{i}", "value": str(i)}),
        "search_runs": lambda i: c("POST", P + "/runs/search", {
            "experiment_ids": [exp], "filter": "metrics.acc > 0.0", "max_results": 100}),
    }
    print("| call | server p50 | to authentication p50 |\n|---|---:|---:|")
    for name, case in cases.items():
        if only and name not in only:
            continue
        for i in range(20):
            await case(100000 + i)
        to_auth.clear()
        took = []
        for i in range(calls):
            t = time.perf_counter()
            await case(i)
            took.append((time.perf_counter() - t) * 1000)
        print(f"| {name} | {statistics.median(took):.3f} ms | "
              f"{statistics.median(to_auth) * 1000:.3f} ms |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--only", nargs="*", default=[])
    args = ap.parse_args()
    uvloop.run(measure(args.calls, args.only))


if __name__ == "__main__":
    main()
