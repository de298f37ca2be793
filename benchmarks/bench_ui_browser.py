"""Web UI in a browser, beside `mlflow ui`: `python benchmarks/bench_ui_browser.py`.

The same data shape in both (one experiment of N runs with params and metrics, one of
them with a P-point metric; one registered model with V versions), made through each
one's own client: ours through the SDK in-process, MLflow's through the mlflow client
against its own server (`mlflow server`, SQLite, on a loopback port).  Each page is
loaded in Debian's chromium (Playwright, headless) until the network is idle, several
times; we report the p50 of that time and the bytes the page transferred (every
response body: HTML, scripts, styles, API answers), uncompressed where the server does
not compress.  Only loopback requests are made.

Prints a Markdown table (paste it into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from _common import free_port, pct  # noqa: E402
from modelyard.client.local import LocalClient  # noqa: E402
from modelyard.config import Settings  # noqa: E402
from modelyard.domain.entities import FileEntry  # noqa: E402
from modelyard.server.app import create_app  # noqa: E402
from modelyard.services import Services  # noqa: E402
from tests.live import LiveServer  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def curve(points: int) -> list[tuple[int, float]]:
    return [(s, math.exp(-s / points * 5) + 0.01 * math.sin(s)) for s in range(points)]


def fill_ours(c: LocalClient, work: Path, runs: int, points: int, versions: int) -> dict[str, str]:
    import hashlib

    exp = c.create_experiment("bench")
    ids = []
    for i in range(runs):
        r = c.create_run(exp.experiment_id, run_name=f"run-{i}")
        c.log_batch(r.run_id, metrics=[{"key": "auc", "value": 0.5 + i / (2 * runs),
                                        "step": 0, "timestamp": 0}],
                    params=[{"key": "depth", "value": str(i % 10)}])
        ids.append(r.run_id)
    big = ids[0]
    pts = curve(points)
    for start in range(0, points, 50_000):
        c.log_batch(big, metrics=[{"key": "loss", "value": v, "step": s, "timestamp": s}
                                  for s, v in pts[start:start + 50_000]])
    blob = work / "model.bin"
    blob.write_bytes(b"x" * 4096)
    entry = FileEntry("model.bin", 4096, hashlib.sha256(blob.read_bytes()).hexdigest())
    c.upload_blob(entry, blob)
    c.create_model("bench-model")
    for _ in range(versions):
        c.create_version("bench-model", [entry])
    return {"exp": exp.experiment_id, "run": big}


def fill_mlflow(url: str, runs: int, points: int, versions: int) -> dict[str, str]:
    script = f"""
import math, mlflow
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
c = MlflowClient({url!r})
eid = c.create_experiment("bench")
ids = []
for i in range({runs}):
    r = c.create_run(eid, run_name=f"run-{{i}}")
    c.log_batch(r.info.run_id, metrics=[Metric("auc", 0.5 + i / (2 * {runs}), 0, 0)],
                params=[Param("depth", str(i % 10))])
    ids.append(r.info.run_id)
big = ids[0]
P = {points}
ms = [Metric("loss", math.exp(-s / P * 5) + 0.01 * math.sin(s), s, s) for s in range(P)]
for k in range(0, P, 1000):
    c.log_batch(big, metrics=ms[k:k + 1000])
c.create_registered_model("bench-model")
for _ in range({versions}):
    c.create_model_version("bench-model", f"runs:/{{big}}/model", run_id=big)
print(eid, big)
"""
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=900, check=True).stdout.split()
    return {"exp": out[-2], "run": out[-1]}


def measure(browser: Any, base: str, path: str, samples: int) -> tuple[float, int]:
    """p50 of the time from navigation to the page's last response (the load event,
    then no response for a second; at most 20 s), and the bytes of that last load.
    Requests off the loopback are refused (none of ours is made)."""
    times, size = [], 0
    for _ in range(samples):
        ctx = browser.new_context(base_url=base)
        ctx.route("**/*", lambda route: route.continue_()
                  if route.request.url.startswith(("http://127.0.0.1", "data:"))
                  else route.abort())
        page = ctx.new_page()
        sizes: list[int] = []
        last = [time.perf_counter()]

        def on_response(resp: Any, sizes: list[int] = sizes, last: list[float] = last) -> None:
            last[0] = time.perf_counter()
            try:
                sizes.append(len(resp.body()))
            except Exception:  # a redirect or an aborted request has no body
                sizes.append(0)
        page.on("response", on_response)
        t0 = time.perf_counter()
        page.goto(path, wait_until="load")
        while time.perf_counter() - last[0] < 1.0 and time.perf_counter() - t0 < 20:
            page.wait_for_timeout(100)
        times.append((last[0] - t0) * 1000)
        size = sum(sizes)
        ctx.close()
    return pct(times, 50), size


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mlflow server exited")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("mlflow server did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--versions", type=int, default=100)
    ap.add_argument("--samples", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rows: list[tuple[str, float, int, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        settings = Settings.load({"home": str(t / "home"),
                                  "backend_store_uri": f"sqlite:///{t / 'meta.db'}"}, environ={})
        services = Services.from_settings(settings, upgrade=True)
        ours = fill_ours(LocalClient("bench", services=services), t, args.runs, args.points,
                         args.versions)
        server = LiveServer().start()
        server.switch.app = create_app(settings, services)
        port = free_port()
        ml_url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
             "--backend-store-uri", f"sqlite:///{t / 'mlflow.db'}",
             "--default-artifact-root", str(t / "mlartifacts"), "--workers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=t)
        try:
            wait_up(ml_url, proc)
            theirs = fill_mlflow(ml_url, args.runs, args.points, args.versions)
            pages = [
                ("model list", "/models", "/#/models"),
                ("model page", "/models/bench-model", "/#/models/bench-model"),
                ("version page", "/models/bench-model/versions/50",
                 "/#/models/bench-model/versions/50"),
                ("experiment page", f"/experiments/{ours['exp']}",
                 f"/#/experiments/{theirs['exp']}"),
                (f"run page ({args.points:,}-point metric)", f"/runs/{ours['run']}",
                 f"/#/experiments/{theirs['exp']}/runs/{theirs['run']}"),
                ("metric chart", f"/runs/{ours['run']}?metrics=loss",
                 f"/#/metric?runs=[%22{theirs['run']}%22]&metric=%22loss%22"
                 f"&experiments=[%22{theirs['exp']}%22]"),
            ]
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                for label, mine, mlflows in pages:
                    a_time, a_size = measure(browser, server.url, mine, args.samples)
                    b_time, b_size = measure(browser, ml_url, mlflows, args.samples)
                    rows.append((label, a_time, a_size, b_time, b_size))
                browser.close()
        finally:
            proc.terminate()
            proc.wait(30)
            server.stop()
            services.close()
    print(f"{args.runs} runs, one {args.points:,}-point metric, {args.versions} versions; "
          f"load until network idle in headless chromium, p50 of {args.samples}.\n")
    print("| page | modelyard load | modelyard bytes | mlflow ui load | mlflow ui bytes |")
    print("|---|---|---|---|---|")
    for label, at, asz, bt, bsz in rows:
        print(f"| {label} | {at:.0f} ms | {asz / 1024:.0f} KB | {bt:.0f} ms | {bsz / 1024:.0f} KB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
