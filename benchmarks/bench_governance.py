"""Governance benchmarks: a transition with gates, an approval that performs a
transition, and ``resolve(..., at=...)`` with 10,000 moves in the alias's history.

Starts `modelyard server` on the embedded default (SQLite + a local folder, in a temp
home), drives it over HTTP with the SDK; the 10,000 history rows are written in
process (one transaction, the store's own move_alias) to keep the run short.
Run: `python benchmarks/bench_governance.py` (prints a Markdown table).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import free_port, pct
from bench_registry import start_server

from modelyard.client.http import HttpClient
from modelyard.client.local import LocalClient
from modelyard.errors import ApprovalRequired

POLICY = """\
stages: [dev, qa, staging, production]
transitions:
  - {from: dev, to: qa, gates: "metrics.auc >= 0.9 AND tags.bias_review = 'passed'"}
  - {from: qa, to: dev, gates: "metrics.auc >= 0.9 AND flavor IS NULL"}
  - {from: dev, to: staging}
  - from: staging
    to: production
    approvals: {count: 1, role: maintainer, allow_requester: true}
  - {from: production, to: staging}
"""
ROUNDS = 200
MOVES = 10_000


def lat(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):.2f} ms, p99 {pct(samples, 99):.2f} ms"


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-gov-"))
    port = free_port()
    proc, _ = start_server(home, port)
    rows = []
    try:
        with HttpClient(f"http://127.0.0.1:{port}") as c:
            c.create_project("risk")
            c.set_policy("risk", POLICY)
            c.create_model("fraud", project="risk")
            src = home / "m"
            src.mkdir()
            (src / "w.bin").write_bytes(os.urandom(1000))
            c.register("fraud", src, metrics={"auc": 0.95}, tags={"bias_review": "passed"})
            c.register("fraud", src, metrics={"auc": 0.95})
            gated = []
            for i in range(ROUNDS):
                t0 = time.perf_counter()
                c.transition_stage("fraud", 1, "qa" if i % 2 == 0 else "dev")
                gated.append((time.perf_counter() - t0) * 1000)
            rows.append(("transition with gates (2 conditions), over HTTP", lat(gated)))
            c.transition_stage("fraud", 2, "staging")
            approvals = []
            for _ in range(ROUNDS // 2):
                try:
                    c.transition_stage("fraud", 2, "production")
                except ApprovalRequired as opened:
                    assert opened.request_id is not None
                    t0 = time.perf_counter()
                    c.approve_request(opened.request_id)
                    approvals.append((time.perf_counter() - t0) * 1000)
                c.transition_stage("fraud", 2, "staging")
            rows.append(("approval that performs the transition, over HTTP", lat(approvals)))
            local = LocalClient(f"sqlite:///{home / 'modelyard.db'}")
            store = local.services.store
            with store.read() as tx:
                model = tx.registry.model("fraud")
                assert model is not None
            start = int(time.time() * 1000) - MOVES * 1000
            with store.write() as tx:
                for i in range(MOVES):
                    tx.governance.move_alias(model.id, "production", 1 + i % 2,
                                             start + i * 1000, "bench", "set", None)
            local.close()
            at_samples = []
            for _ in range(ROUNDS):
                at = start + random.randrange(MOVES) * 1000 + 500
                t0 = time.perf_counter()
                c.resolve("fraud@production", at=at)
                at_samples.append((time.perf_counter() - t0) * 1000)
            rows.append((f"resolve(fraud@production, at=...) with {MOVES:,} moves, over HTTP",
                         lat(at_samples)))
    finally:
        proc.terminate()
        proc.wait(10)
    print("| case | latency |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
