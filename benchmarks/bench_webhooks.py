"""Webhook delivery: latency from commit to receiver (p50, target < 250 ms) and
throughput to a fast receiver (target >= 200 deliveries/s), against a real server
process on SQLite with a receiver on loopback.

    PYTHONPATH=src:. python benchmarks/bench_webhooks.py [--events 400] [--samples 40]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from benchmarks._common import free_port, pct
from modelyard.client.http import HttpClient


class Fast(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    arrivals: list[float] = []
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.lock:
            self.arrivals.append(time.perf_counter())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def wait_for(n: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while len(Fast.arrivals) < n and time.time() < deadline:
        time.sleep(0.001)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=400)
    ap.add_argument("--samples", type=int, default=40)
    args = ap.parse_args()
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Fast)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with tempfile.TemporaryDirectory() as home:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "modelyard.cli", "server", "--port",
                                 str(port), "--home", home, "--log-level", "warning",
                                 "--allow-webhook-hosts", "127.0.0.1"], env=dict(os.environ))
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            c = HttpClient(url)
            c.create_model("bench")
            hook = c.create_webhook(target, ["model.tag_set"], secret="s")
            latencies = []
            for i in range(args.samples):
                before = len(Fast.arrivals)
                c.set_model_tag("bench", "k", str(i))
                committed = time.perf_counter()  # the change has committed when this returns
                wait_for(before + 1)
                latencies.append((Fast.arrivals[before] - committed) * 1000)
            print(f"latency commit -> receiver: p50 {pct(latencies, 50):.1f} ms, "
                  f"p95 {pct(latencies, 95):.1f} ms ({args.samples} events)")
            # throughput: a backlog built while the webhook is disabled, then drained
            httpx.patch(f"{url}/api/v1/webhooks/{hook.id}", json={"status": "disabled"})
            for i in range(args.events):
                c.set_model_tag("bench", f"t{i}", "v")
            before = len(Fast.arrivals)
            start = time.perf_counter()
            httpx.patch(f"{url}/api/v1/webhooks/{hook.id}", json={"status": "active"})
            wait_for(before + args.events, timeout=120)
            took = Fast.arrivals[-1] - start
            got = len(Fast.arrivals) - before
            print(f"throughput: {got} deliveries in {took:.2f} s = {got / took:.0f}/s")
            c.close()
        finally:
            proc.terminate()
            proc.wait(15)
            receiver.shutdown()


if __name__ == "__main__":
    main()
