"""What the mlflow client itself costs on each timed call:
`python benchmarks/mlflow_client_floor.py [--calls 300] [--mlflow]`.

A modelyard server is filled as `bench_mlflow.py` fills it (one model of 500 versions
tagged ``k`` odd/even, 50 aliases; 50 runs with an ``acc`` metric and 10 params). A
loopback stub then records, through a pass-through, the answer modelyard gives to each
call, and replays it at once, without reading or writing anything: the time the client
takes against the stub is the floor no server can go under (the client's own work and
one loopback round trip). Each figure is the p50 of ``--calls`` calls: the stub and
modelyard alternate a call at a time, so that the machine's drift falls on both alike;
then (``--mlflow``) ``mlflow server --workers 1`` is filled and timed the same way,
while the only server running. "Best possible" is the ratio a server that took no time
at all would reach against MLflow: MLflow's time over the floor.
(Not a ``bench_*.py``: `run.py` runs the benchmarks with targets; this one says how
much of a call is the client's.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _common import free_port  # noqa: E402

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

Calls = dict[str, Callable[[int], object]]


# -- the stub --------------------------------------------------------------------------
async def _serve_stub(port: int, upstream: str) -> None:
    """Record mode forwards each request to ``upstream`` and keeps its answer by method
    and path; ``POST /_replay`` switches to answering every request from what was kept
    (the last answer of its method and path) without a look at the body."""
    kept: dict[tuple[str, str], tuple[int, bytes]] = {}
    replay = False
    client = httpx.AsyncClient(base_url=upstream, timeout=30)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal replay
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            length = int(next((v for k, v in headers.items()
                               if k.lower() == "content-length"), "0"))
            body = await reader.readexactly(length) if length else b""
            path = target.split("?", 1)[0]
            if path == "/_replay":
                replay = True
                status, answer = 200, b"{}"
            elif replay:
                status, answer = kept.get((method, path), (404, b"{}"))
            else:
                r = await client.request(method, target, content=body, headers={
                    k: v for k, v in headers.items()
                    if k.lower() in ("content-type", "authorization")})
                status, answer = r.status_code, r.content
                kept[(method, path)] = (status, answer)
            writer.write(b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (status, len(answer)) + answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


# -- servers ---------------------------------------------------------------------------
def _start(cmd: list[str], port: int, cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[2]}: exited with {proc.returncode}")
        try:
            httpx.get(url + "/health", timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{cmd[2]} did not start in time")


def _modelyard(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    return _start([sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
                   "--home", str(work / "home"), "--log-level", "warning"], port, work)


def _mlflow(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    return _start([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "1", "--backend-store-uri",
                   f"sqlite:///{work / 'mlflow.db'}", "--artifacts-destination",
                   str(work / "artifacts")], port, work)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        proc.wait(20)


# -- the calls -------------------------------------------------------------------------
def _fill(url: str) -> dict[str, Any]:
    from mlflow import MlflowClient

    c = MlflowClient(url)
    exp = c.create_experiment("floor")
    run_id = c.create_run(exp).info.run_id
    c.create_registered_model("bench-0000")
    for i in range(500):
        c.create_model_version("bench-0000", f"runs:/{run_id}/model", run_id=run_id,
                               tags={"k": "even" if i % 2 else "odd"})
    for a in range(50):
        c.set_registered_model_alias("bench-0000", f"a{a}", 1 + a)
    runs = [c.create_run(exp).info.run_id for _ in range(50)]
    for i, r in enumerate(runs):
        for s in range(10):
            c.log_metric(r, "acc", (i + s) / 2000, step=s)
            c.log_param(r, f"p{s}", str(s))
    return {"exp": exp, "run_id": run_id, "runs": runs}


def _calls(c: Any, ids: dict[str, Any]) -> Calls:
    run_id, runs, exp = ids["run_id"], ids["runs"], ids["exp"]
    return {
        "create_model_version": lambda i: c.create_model_version(
            "bench-0000", f"runs:/{run_id}/model", run_id=run_id,
            tags={"k": "even" if i % 2 else "odd"}),
        "get_model_version": lambda i: c.get_model_version("bench-0000", 1 + i % 500),
        "get_model_version_by_alias": lambda i: c.get_model_version_by_alias(
            "bench-0000", f"a{i % 50}"),
        "search_model_versions by tag (100)": lambda i: c.search_model_versions(
            "tags.k = 'odd'", max_results=100),
        "create_run": lambda i: c.create_run(exp, run_name=f"r{i}"),
        "log_metric": lambda i: c.log_metric(runs[i % 50], "acc", i / 2000, step=100 + i),
        "search_runs (50 runs)": lambda i: c.search_runs([exp], "metrics.acc > 0.0",
                                                         max_results=100),
    }


def _time(clients: dict[str, Calls], names: list[str], calls: int
          ) -> dict[str, dict[str, list[float]]]:
    """Milliseconds of each call after 20 unmeasured ones, the clients alternating a
    call at a time."""
    times: dict[str, dict[str, list[float]]] = {k: {n: [] for n in names} for k in clients}
    for name in names:
        for i in range(20 + calls):
            for kind, by_name in clients.items():
                t = time.perf_counter()
                by_name[name](i)
                if i >= 20:
                    times[kind][name].append((time.perf_counter() - t) * 1000)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--mlflow", action="store_true", help="also time MLflow --workers 1")
    ap.add_argument("--stub", nargs=2, metavar=("PORT", "UPSTREAM"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stub:
        asyncio.run(_serve_stub(int(args.stub[0]), args.stub[1]))
        return

    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("mlflow").setLevel(logging.WARNING)  # "Waiting for ... creation"
    from mlflow import MlflowClient

    root = Path(tempfile.mkdtemp(prefix="mlflow-floor-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        (root / "my").mkdir()
        mine, my_url = _modelyard(root / "my")
        procs.append(mine)
        ids = _fill(my_url)
        port = free_port()
        stub, stub_url = _start([sys.executable, __file__, "--stub", str(port), my_url],
                                port, root)
        procs.append(stub)
        names = list(_calls(None, ids))
        clients = {"stub": _calls(MlflowClient(stub_url), ids),
                   "modelyard": _calls(MlflowClient(my_url), ids)}
        for call in clients["stub"].values():  # record one answer of each call
            call(0)
        httpx.post(stub_url + "/_replay")
        times = _time(clients, names, args.calls)
        _stop(mine)
        if args.mlflow:
            (root / "mlflow").mkdir()
            theirs, ml_url = _mlflow(root / "mlflow")
            procs.append(theirs)
            times |= _time({"mlflow": _calls(MlflowClient(ml_url), _fill(ml_url))}, names,
                           args.calls)
        print("\n| call | client alone (stub) | modelyard |"
              + (" MLflow --workers 1 | best possible | ours |" if args.mlflow else ""))
        print("|---|---:|---:|" + ("---:|---:|---:|" if args.mlflow else ""))
        for name in names:
            p = {k: statistics.median(v[name]) for k, v in times.items()}
            row = f"| {name} | {p['stub']:.2f} ms | {p['modelyard']:.2f} ms |"
            if args.mlflow:
                row += (f" {p['mlflow']:.2f} ms | {p['mlflow'] / p['stub']:.1f}x |"
                        f" {p['mlflow'] / p['modelyard']:.1f}x |")
            print(row)
    finally:
        for proc in procs:
            _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
