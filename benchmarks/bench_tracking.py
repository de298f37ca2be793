"""Tracking benchmark: run with `python benchmarks/bench_tracking.py [--runs 10000]`.

Starts `modelyard server` on the embedded default (SQLite + a local folder, in a temp
directory) on a loopback port, and measures, in-process and over HTTP:
- metrics logged per second, one `log_metric` call each, and in batches of 1,000;
- one batch of 10,000 metrics (one request, one transaction);
- reading back a metric history of 100,000 points for one key (paged, 25,000 a page);
- `search_runs` latency, p50/p99, over N runs that each have params, tags and metrics.

With ``--backend-store-uri postgresql://...`` (or ``mysql://...``; an empty database)
the server and the in-process client use that database instead of SQLite.

Prints a Markdown table (paste it into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import modelyard  # noqa: E402
from bench_registry import ROWS, free_port, lat, row, start_server, timed  # noqa: E402
from modelyard.client.local import LocalClient  # noqa: E402


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} metrics/s"


def log_rates(label: str, c: object, n_single: int, n_batches: int) -> None:
    run = c.create_run("0")  # type: ignore[attr-defined]
    t = time.perf_counter()
    for i in range(n_single):
        c.log_metric(run.run_id, "loss", 1.0 / (i + 1), step=i)  # type: ignore[attr-defined]
    row(f"log_metric, one call each ({label})", rate(n_single, time.perf_counter() - t))
    t = time.perf_counter()
    for b in range(n_batches):
        c.log_batch(run.run_id, metrics=[  # type: ignore[attr-defined]
            {"key": f"m{b % 10}", "value": i * 0.5, "step": b * 1000 + i, "timestamp": 1}
            for i in range(1000)])
    row(f"log_batch of 1,000 metrics ({label})", rate(n_batches * 1000, time.perf_counter() - t))
    big = [{"key": "big", "value": float(i), "step": i, "timestamp": 1} for i in range(10_000)]
    t = time.perf_counter()
    c.log_batch(run.run_id, metrics=big)  # type: ignore[attr-defined]
    row(f"one log_batch of 10,000 metrics ({label})",
        f"{(time.perf_counter() - t) * 1000:.0f} ms")


def history(label: str, c: object, run_id: str, points: int) -> None:
    t = time.perf_counter()
    got = sum(1 for _ in c.iter_metric_history(run_id, "series", page_size=25_000))  # type: ignore[attr-defined]
    assert got == points, got
    row(f"metric history read, {points:,} points ({label})",
        f"{(time.perf_counter() - t) * 1000:.0f} ms")


def fill_runs(local: LocalClient, experiment_id: str, n: int) -> None:
    for i in range(n):
        r = local.create_run(experiment_id, run_name=f"r{i}", start_time=1_700_000_000_000 + i)
        local.log_batch(r.run_id, metrics=[
            {"key": "auc", "value": 0.5 + (i % 500) / 1000, "step": 0, "timestamp": 1},
            {"key": "loss", "value": 1.0 / (i + 1), "step": 0, "timestamp": 1}],
            params=[("max_depth", str(i % 16)), ("lr", "0.1"), ("n_estimators", str(i % 300))],
            tags=[("team", "risk" if i % 2 else "growth")])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--single", type=int, default=2_000)
    ap.add_argument("--batches", type=int, default=50)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--backend-store-uri", default=None,
                    help="an empty PostgreSQL or MySQL database (default: SQLite in a temp dir)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="modelyard-bench-", dir=os.environ.get("BENCH_DIR")))
    home = work / "home"
    if args.backend_store_uri:  # the server reads it from its environment
        os.environ["MODELYARD_BACKEND_STORE_URI"] = args.backend_store_uri
    proc, _ = start_server(home, port := free_port())
    try:
        http = modelyard.Client(f"http://127.0.0.1:{port}")
        local = LocalClient(args.backend_store_uri or str(home),
                            artifacts_uri=str(home / "blobs") if args.backend_store_uri else None)
        log_rates("in-process", local, args.single, args.batches)
        log_rates("HTTP", http, args.single, args.batches)

        run = local.create_run("0", run_name="history")
        for start in range(0, args.points, 10_000):
            local.log_batch(run.run_id, metrics=[
                {"key": "series", "value": i * 0.001, "step": i, "timestamp": 1}
                for i in range(start, min(start + 10_000, args.points))])
        history("in-process", local, run.run_id, args.points)
        history("HTTP", http, run.run_id, args.points)

        e = local.create_experiment("search-bench")
        t = time.perf_counter()
        fill_runs(local, e.experiment_id, args.runs)
        row(f"create {args.runs:,} runs with params, tags, metrics (in-process)",
            f"{time.perf_counter() - t:.1f} s")
        queries = [
            ("metrics.auc > 0.9 AND params.max_depth = '8'", None),
            ("tags.team = 'risk'", ["metrics.auc DESC"]),
            (None, ["start_time DESC"]),
        ]
        for label, c in (("in-process", local), ("HTTP", http)):
            for flt, order in queries:
                s = timed(lambda i, c=c, f=flt, o=order: c.search_runs(  # type: ignore[misc]
                    [e.experiment_id], f, o, 100), args.samples)
                what = flt or "no filter"
                row(f"search_runs over {args.runs:,} runs, {what}"
                    f"{', ' + order[0] if order else ''}, 100 per page ({label})", lat(s))
        http.close()
        local.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print("\n| measure | result |\n|---|---|")
    for what, value, _ in ROWS:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
