"""Web UI benchmark: `python benchmarks/bench_ui.py [--versions 10000 --runs 10000]`.

Fills a fresh embedded store (SQLite + a local folder, in a temp directory) in-process:
N versions (100 a model), N runs in one experiment (params and a few metrics each),
and one run with a 100,000-point metric; then serves it from an in-process uvicorn on
a loopback port and measures, over HTTP, each page's server time p50/p99 (request to
last byte, one client) and transfer size (the HTML, plus the page's script and style
sheet, uncompressed), and the points the largest chart series carries.

Prints a Markdown table (paste it into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from _common import pct  # noqa: E402
from modelyard.client.local import LocalClient  # noqa: E402
from modelyard.config import Settings  # noqa: E402
from modelyard.domain.entities import FileEntry  # noqa: E402
from modelyard.server.app import create_app  # noqa: E402
from modelyard.services import Services  # noqa: E402
from tests.live import LiveServer  # noqa: E402


def fill(c: LocalClient, work: Path, versions: int, runs: int,
         points: int) -> dict[str, str]:
    exp = c.create_experiment("bench")
    eid = exp.experiment_id
    t0 = time.perf_counter()
    run_ids = []
    for i in range(runs):
        r = c.create_run(eid, run_name=f"run-{i}")
        c.log_batch(r.run_id, metrics=[{"key": "auc", "value": 0.5 + (i % 100) / 200,
                                        "step": 0, "timestamp": 0},
                                       {"key": "loss", "value": 1 / (i + 1), "step": 0,
                                        "timestamp": 0}],
                    params=[{"key": "depth", "value": str(i % 10)},
                            {"key": "lr", "value": str(0.01 * (i % 7 + 1))}])
        run_ids.append(r.run_id)
    t_runs = time.perf_counter() - t0
    big = c.create_run(eid, run_name="big-curve")
    for start in range(0, points, 50_000):
        c.log_batch(big.run_id, metrics=[
            {"key": "loss", "value": math.exp(-s / points * 5) + 0.01 * math.sin(s),
             "step": s, "timestamp": s} for s in range(start, min(points, start + 50_000))])
    for other in run_ids[:4]:
        c.log_batch(other, metrics=[{"key": "loss", "value": 1 / (s + 1), "step": s,
                                     "timestamp": s} for s in range(1, 1000)])
    t0 = time.perf_counter()
    blob = work / "model.bin"
    blob.write_bytes(b"x" * 4096)
    entry = FileEntry("model.bin", 4096, hashlib.sha256(blob.read_bytes()).hexdigest())
    c.upload_blob(entry, blob)
    for i in range(versions):
        name = f"model-{i // 100}"
        if i % 100 == 0:
            c.create_model(name, description="A **benchmark** model.", tags={"team": "risk"})
        c.create_version(name, [entry], tags={"k": str(i % 10)},
                         metrics={"auc": 0.5 + (i % 100) / 200})
    t_versions = time.perf_counter() - t0
    c.set_alias("model-0", "champion", 50)
    print(f"filled: {runs} runs in {t_runs:.0f} s, {versions} versions in {t_versions:.0f} s",
          file=sys.stderr)
    return {"big": big.run_id, "runs": ",".join(run_ids[:4]), "eid": eid}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--versions", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--samples", type=int, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        settings = Settings.load({"home": str(t / "home"),
                                  "backend_store_uri": f"sqlite:///{t / 'meta.db'}"}, environ={})
        services = Services.from_settings(settings, upgrade=True)
        ids = fill(LocalClient("bench", services=services), t, args.versions, args.runs,
                   args.points)
        server = LiveServer().start()
        server.switch.app = create_app(settings, services)
        compare = "/compare?" + "&".join(f"run={r}" for r in [ids["big"], *ids["runs"].split(",")])
        pages = {
            "model list": "/models",
            "model list, filtered": "/models?q=name+LIKE+%27model-1%25%27&tag=team%3Drisk",
            "model page (100 versions)": "/models/model-0",
            "version page": "/models/model-0/versions/50",
            "experiment page (100 of the runs)": f"/experiments/{ids['eid']}",
            f"run page ({args.points:,}-point metric)": f"/runs/{ids['big']}",
            "compare 5 runs": compare,
        }
        rows = []
        try:
            with httpx.Client(base_url=server.url, timeout=60) as h:
                assets = sum(len(h.get(p).content) for p in ("/static/app.css", "/static/app.js"))
                for label, path in pages.items():
                    h.get(path).raise_for_status()  # warm
                    times, size, most = [], 0, 0
                    for _ in range(args.samples):
                        t0 = time.perf_counter()
                        r = h.get(path)
                        times.append((time.perf_counter() - t0) * 1000)
                        r.raise_for_status()
                        size = len(r.content)
                        most = max((int(n) for n in re.findall(r'data-n="(\d+)"', r.text)),
                                   default=0)
                    rows.append((label, pct(times, 50), pct(times, 99), size + assets, most))
        finally:
            server.stop()
            services.close()
    print(f"Store: {args.versions:,} versions, {args.runs:,} runs, one {args.points:,}-point "
          f"metric; {args.samples} samples a page.\n")
    print("| page | p50 | p99 | transfer (HTML + JS + CSS) | most points in a series |")
    print("|---|---|---|---|---|")
    for label, p50, p99, size, most in rows:
        print(f"| {label} | {p50:.1f} ms | {p99:.1f} ms | {size / 1024:.1f} KB | "
              f"{most or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
