"""Serving benchmark: `modelyard serve` against `mlflow models serve --env-manager local`.

One command, one machine, one run::

    python benchmarks/bench_serving.py [--quick] [--json out.json]

It trains a RandomForest (100 trees) on scikit-learn's breast-cancer data, registers it
in a throw-away registry (``modelyard server`` on a loopback port, as in production,
where the scoring server fetches the model from a running registry) and saves it with
MLflow, starts both scoring servers on loopback ports, and measures for each: cold start (process start to first answered
request), p50/p99 latency of sequential 1-row and 100-row requests, requests per
second with 8 concurrent clients (1 row each), and resident memory.  It also measures
the raw in-process ``model.predict`` time, the floor.  Every loop is bounded in count
and time; both servers are stopped at the end.  The clients run in a separate process
(asyncio, keep-alive connections, hand-written HTTP/1.1) so that their own cost stays
small next to the servers'.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import free_port, pct, rss_mb

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


# -- the model ------------------------------------------------------------------------
def train() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)


def raw_predict(model: Any, X: Any, n: int) -> dict[str, float]:
    """``model.predict`` in this process on a DataFrame (as a user calls it), and on a
    NumPy array with the same trees fitted without column names (no frame checks)."""
    from sklearn.base import clone

    bare = clone(model).fit(X.to_numpy(), model.predict(X))  # same seed, same shape
    out = {}
    for rows in (1, 100):
        for key, fn, data in (("", model.predict, X.iloc[:rows]),
                              ("np_", bare.predict, X.iloc[:rows].to_numpy())):
            fn(data)
            times = []
            for _ in range(n):
                t = time.perf_counter()
                fn(data)
                times.append(time.perf_counter() - t)
            out[f"{key}p50_{rows}"] = pct(times, 50) * 1000
            out[f"{key}p99_{rows}"] = pct(times, 99) * 1000
    return out


def body(X: Any, rows: int) -> bytes:
    return json.dumps({"dataframe_split": {"columns": list(X.columns),
                                           "data": X.iloc[:rows].to_numpy().tolist()}}).encode()


# -- servers --------------------------------------------------------------------------
def start(cmd: list[str], port: int, payload: bytes, log: Path,
          env: dict[str, str]) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server; returns it and the seconds until its first answered request."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=open(log, "wb"), stderr=subprocess.STDOUT, env=env,  # noqa: SIM115
                            start_new_session=True)
    deadline = t0 + 120
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited early; see {log}:\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/invocations", payload, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status == 200:
                return proc, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.02)
    stop(proc)
    raise SystemExit(f"{cmd} did not answer within 120 s; see {log}")


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the registry exited early:\n{log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", int(url.split(":")[2].split("/")[0]),
                                              timeout=2)
            conn.request("GET", "/" + url.split("/", 3)[3])
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} did not answer")


def stop(proc: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)


def sequential(port: int, payload: bytes, n: int, seconds: float,
               floor: Any = None) -> dict[str, float]:
    """``n`` requests one after the other (at most ``seconds``).  With ``floor`` (named
    functions), each request alternates with one in-process call of each, so that the
    floors and the server are timed under the same load on the machine."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times: list[float] = []
    floors: dict[str, list[float]] = {name: [] for name in (floor or {})}
    deadline = time.perf_counter() + seconds
    for _ in range(n):
        for name, fn in (floor or {}).items():
            t = time.perf_counter()
            fn()
            floors[name].append(time.perf_counter() - t)
        t = time.perf_counter()
        conn.request("POST", "/invocations", payload, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        times.append(time.perf_counter() - t)
        if resp.status != 200:
            raise SystemExit(f"request failed: {resp.status}")
        if time.perf_counter() > deadline:
            break
    conn.close()
    out = {"p50": pct(times, 50) * 1000, "p99": pct(times, 99) * 1000, "n": len(times)}
    for name, values in floors.items():
        out[f"{name}_p50"] = pct(values, 50) * 1000
    return out


# -- concurrent clients, in their own process ----------------------------------------
async def _client(port: int, request: bytes, deadline: float, counts: list[int],
                  errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if status == 200:
                counts[0] += 1
            else:
                errors[0] += 1
    finally:
        writer.close()


async def _load(port: int, payload: bytes, clients: int, seconds: float) -> dict[str, float]:
    request = (b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Type: application/json\r\nContent-Length: "
               + str(len(payload)).encode() + b"\r\n\r\n" + payload)
    counts, errors = [0], [0]
    t0 = time.perf_counter()
    await asyncio.gather(*[_client(port, request, t0 + seconds, counts, errors)
                           for _ in range(clients)])
    elapsed = time.perf_counter() - t0
    return {"rps": counts[0] / elapsed, "ok": counts[0], "errors": errors[0]}


def concurrent(port: int, payload: bytes, clients: int, seconds: float) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as fh:
        fh.write(payload)
        fh.flush()
        out = subprocess.run([sys.executable, __file__, "--_load", str(port), fh.name,
                              str(clients), str(seconds)], capture_output=True, check=True,
                             timeout=seconds + 120)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


# -- the run --------------------------------------------------------------------------
def measure(name: str, cmd: list[str], port: int, X: Any, work: Path, args: Any,
            env: dict[str, str], floors: dict[int, Any]) -> dict[str, Any]:
    one, hundred = body(X, 1), body(X, 100)
    proc, cold = start(cmd, port, one, work / f"{name}.log", env)
    try:
        res: dict[str, Any] = {"cold_start_s": cold}
        sequential(port, one, 20, 10)  # warm up
        res["one_row"] = sequential(port, one, args.n, args.seconds, floors.get(1))
        res["hundred_rows"] = sequential(port, hundred, args.n, args.seconds, floors.get(100))
        res["concurrent_8"] = concurrent(port, one, 8, args.seconds)
        res["rss_mb"] = rss_mb(proc.pid)
    finally:
        stop(proc)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--only", choices=["modelyard", "mlflow"], help="one server only")
    args = parser.parse_args()
    args.n = 200 if args.quick else 1000
    args.seconds = 5.0 if args.quick else 10.0

    import modelyard

    X, model = train()
    results: dict[str, Any] = {"raw_predict_ms": raw_predict(model, X, args.n)}
    from sklearn.base import clone

    bare = clone(model).fit(X.to_numpy(), model.predict(X))  # the same trees, no names
    floors = {rows: {"floor": lambda f=X.iloc[:rows]: model.predict(f),
                     "floor_np": lambda a=X.iloc[:rows].to_numpy(): bare.predict(a)}
              for rows in (1, 100)}
    work = Path(tempfile.mkdtemp(prefix="modelyard-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
    cli = shutil.which("modelyard") or "modelyard"
    registry = None
    try:
        if args.only != "mlflow":
            reg_port = free_port()
            registry = subprocess.Popen(
                [cli, "server", "--home", str(work / "registry"), "--port", str(reg_port)],
                stdout=open(work / "registry.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
                env=env, start_new_session=True)
            uri = f"http://127.0.0.1:{reg_port}"
            wait_http(uri + "/health", registry, work / "registry.log")
            client = modelyard.Client(uri)
            modelyard.log_model(model, name="breast-cancer", input_example=X[:5],
                                client=client)
            client.set_alias("breast-cancer", "production", 1)
            client.close()
            port = free_port()
            results["modelyard"] = measure(
                "modelyard", [cli, "--uri", uri, "serve", "models:/breast-cancer@production",
                              "--port", str(port)], port, X, work, args, env, floors)
        if args.only != "modelyard":
            import warnings

            import mlflow.sklearn

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # MLflow's skops format refuses tree models unless told to trust them.
                mlflow.sklearn.save_model(model, str(work / "mlflow-model"), input_example=X[:5],
                                          skops_trusted_types=["sklearn.tree._tree.Tree"])
            port = free_port()
            results["mlflow"] = measure(
                "mlflow", [shutil.which("mlflow") or "mlflow", "models", "serve", "-m",
                           str(work / "mlflow-model"), "--env-manager", "local", "-h",
                           "127.0.0.1", "-p", str(port)], port, X, work, args, env, floors)
    finally:
        if registry is not None:
            stop(registry)
        shutil.rmtree(work, ignore_errors=True)
    print(report(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def report(r: dict[str, Any]) -> str:
    raw = r["raw_predict_ms"]
    lines = [f"raw in-process predict: 1 row p50 {raw['p50_1']:.2f} ms (p99 "
             f"{raw['p99_1']:.2f}); 100 rows p50 {raw['p50_100']:.2f} ms (p99 "
             f"{raw['p99_100']:.2f}); on a NumPy array: 1 row p50 {raw['np_p50_1']:.2f} ms, "
             f"100 rows p50 {raw['np_p50_100']:.2f} ms", "",
             "| server | cold start | 1 row p50 / p99 | 100 rows p50 / p99 | "
             "8 clients req/s | RSS |", "|---|---|---|---|---|---|"]
    for name in ("modelyard", "mlflow"):
        if name not in r:
            continue
        s = r[name]
        lines.append(
            f"| {name} | {s['cold_start_s']:.2f} s | {s['one_row']['p50']:.2f} / "
            f"{s['one_row']['p99']:.2f} ms | {s['hundred_rows']['p50']:.2f} / "
            f"{s['hundred_rows']['p99']:.2f} ms | {s['concurrent_8']['rps']:.0f} "
            f"({s['concurrent_8']['errors']} errors) | {s['rss_mb']:.0f} MB |")
    if "modelyard" in r:
        lines.append("")
        mine = r["modelyard"]["one_row"]
        if "floor_p50" in mine:
            lines.append(
                f"timed alternately with in-process predicts (same load), 1 row p50: served "
                f"{mine['p50']:.2f} ms, DataFrame predict {mine['floor_p50']:.2f} ms, array "
                f"predict {mine['floor_np_p50']:.2f} ms: overhead "
                f"{mine['p50'] - mine['floor_p50']:.2f} / {mine['p50'] - mine['floor_np_p50']:.2f}"
                " ms")
        lines.append(f"modelyard overhead over raw predict, 1 row p50: "
                     f"{r['modelyard']['one_row']['p50'] - raw['p50_1']:.2f} ms over the "
                     f"DataFrame call, {r['modelyard']['one_row']['p50'] - raw['np_p50_1']:.2f}"
                     " ms over the array call")
        if "mlflow" in r:
            ratio = r["modelyard"]["concurrent_8"]["rps"] / max(
                r["mlflow"]["concurrent_8"]["rps"], 1e-9)
            lines.append(f"requests/s with 8 clients, modelyard / mlflow: {ratio:.1f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--_load":
        payload = Path(sys.argv[3]).read_bytes()
        print(json.dumps(asyncio.run(_load(int(sys.argv[2]), payload, int(sys.argv[4]),
                                           float(sys.argv[5])))))
    else:
        main()
