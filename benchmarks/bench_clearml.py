"""ClearML drop-in benchmark: `python benchmarks/bench_clearml.py [--rounds 2] [--seconds 20]`.

1. Round trip: the producer and consumer scripts of tests/clearml (the unmodified
   clearml 2.1.12 SDK, from the cached venv the tests build) against `modelyard server`
   on SQLite in a temp directory, next to the producer in CLEARML_OFFLINE_MODE (the
   SDK's own floor: no server at all).  Offline, the SDK's OutputModel fails and no
   model can be queried, so the floor is the producer without its model steps, and
   a consumer process that loads the SDK and finds nothing.  Best of ``--rounds`` wall-clock times.
2. Background reporting: ``--clients`` threads (default 20), each a running task
   polling its status (``tasks.get_all``) and sending an event batch every second
   (twice the SDK's rate: it polls and flushes every 2 s), and a ``tasks.ping`` every
   30 s, as the SDK's worker thread and reporter do; the tasks start spread over the
   first second (``--aligned``: all together); latency p50/p99 of every call, and per
   endpoint.  ``--db URL`` runs the server on that database (PostgreSQL, MariaDB);
   ``--url`` loads a server already running.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from _common import free_port, pct

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
SCRIPTS = ROOT / "tests" / "clearml" / "scripts"
VENVS = Path(os.environ.get("MODELYARD_CLIENT_VENVS") or Path.home() / ".cache" / "modelyard")
PYTHON = VENVS / "venv-clearml-2.1" / "bin" / "python"


def start(work: Path, db: str | None, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    store = ["--backend-store-uri", db] if db else []
    store += ["--workers", str(workers)] if workers > 1 else []
    proc = subprocess.Popen([sys.executable, "-m", "modelyard.cli", "server", "--port",
                             str(port), "--home", str(work / "home"), "--log-level", "warning",
                             *store], cwd=work, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def env(url: str, home: Path, offline: bool) -> dict[str, str]:
    dead = f"http://127.0.0.1:{free_port()}"
    home.mkdir(parents=True)
    # A threaded reporter: the SDK's forked one can deadlock task.close() (tests/clearml).
    (home / "clearml.conf").write_text("sdk { development { report_use_subprocess: false } }\n")
    out = {k: v for k, v in os.environ.items() if not k.startswith(("CLEARML", "PYTHONPATH"))}
    out.update(HOME=str(home), CLEARML_API_HOST=f"{url}/clearml/api", CLEARML_WEB_HOST=url,
               CLEARML_FILES_HOST=f"{url}/clearml/files", CLEARML_API_ACCESS_KEY="k",
               CLEARML_API_SECRET_KEY="s", CLEARML_DEFAULT_OUTPUT_URI=f"{url}/clearml/files",
               CLEARML_OFFLINE_MODE="1" if offline else "0", CLEARML_CACHE_DIR=str(home / "c"),
               HTTP_PROXY=dead, HTTPS_PROXY=dead, NO_PROXY="127.0.0.1,localhost")
    return out


def round_trip(url: str, work: Path, offline: bool, n: int) -> float:
    t0 = time.perf_counter()
    for script, args in (("producer.py", ["bench", f"train{n}", f"bench_model{n}"]),
                         ("consumer.py", ["bench", "production"])):
        # Offline the consumer fails (nothing to query) after the SDK has loaded.
        subprocess.run([str(PYTHON), str(SCRIPTS / script), *args], check=not offline,
                       env=env(url, work / f"{script}-{n}-{offline}", offline), cwd=work,
                       capture_output=True, timeout=120)
    return time.perf_counter() - t0


def call(c: httpx.Client, url: str, name: str, body: dict[str, object]) -> dict[str, object]:
    r = c.request("GET", f"{url}/clearml/api/v2.23/{name}", json=body)
    r.raise_for_status()
    data: dict[str, object] = r.json()["data"]
    return data


def background(url: str, clients: int, seconds: float,
               aligned: bool = False) -> dict[str, list[float]]:
    with httpx.Client() as c:
        token = c.get(f"{url}/clearml/api/auth.login", auth=("k", "s")).json()["data"]["token"]
        c.headers["Authorization"] = f"Bearer {token}"
        # A project of its own, so that a reused database (--db, --url) takes a rerun.
        pid = call(c, url, "projects.create", {"name": f"load-{time.time_ns()}"})["id"]
        tasks = [str(call(c, url, "tasks.create", {"name": f"t{i}", "type": "training",
                                                    "project": pid})["id"])
                 for i in range(clients)]
        for t in tasks:
            call(c, url, "tasks.started", {"task": t})
    latencies: dict[str, list[float]] = {"tasks.get_all": [], "events.add_batch": [],
                                         "tasks.ping": []}
    lock = threading.Lock()

    def worker(task: str, offset: float) -> None:
        # Scripts started independently report out of step: each starts at its own
        # offset within the first second (--aligned: all at once, every second).
        time.sleep(offset)
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as c:
            end = time.time() + seconds
            i = 0
            while time.time() < end:
                t0 = time.perf_counter()
                call(c, url, "tasks.get_all", {"id": [task], "only_fields":
                                               ["status", "status_message", "id"]})
                t1 = time.perf_counter()
                events = "\n".join(json.dumps({"type": "training_stats_scalar", "task": task,
                                               "metric": "loss", "variant": "train",
                                               "value": 1.0 / (i + 1), "iter": i})
                                   for _ in range(1))
                r = c.post(f"{url}/clearml/api/v2.23/events.add_batch", content=events,
                           headers={"Content-Type": "application/json-lines"})
                r.raise_for_status()
                t2 = time.perf_counter()
                pinged = 0.0
                if i % 30 == 29:  # the SDK's 30 s ping
                    call(c, url, "tasks.ping", {"task": task})
                    pinged = time.perf_counter() - t2
                with lock:
                    latencies["tasks.get_all"].append(t1 - t0)
                    latencies["events.add_batch"].append(t2 - t1)
                    if pinged:
                        latencies["tasks.ping"].append(pinged)
                i += 1
                time.sleep(max(0.0, 1.0 - (t2 - t0)))

    offsets = [0.0 if aligned else i / clients for i in range(clients)]
    threads = [threading.Thread(target=worker, args=(t, o)) for t, o in zip(tasks, offsets, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="round trips per mode")
    parser.add_argument("--clients", type=int, default=20, help="concurrent reporting tasks")
    parser.add_argument("--seconds", type=float, default=20, help="reporting duration")
    parser.add_argument("--load-only", action="store_true",
                        help="only the background-reporting load (no SDK scripts)")
    parser.add_argument("--url", default=None,
                        help="load a server already running there (implies --load-only)")
    parser.add_argument("--aligned", action="store_true",
                        help="every task reports at the same instant each second")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--db", default=None,
                        help="the server's database URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    if args.url:
        report(args, background(args.url, args.clients, args.seconds, args.aligned), 0.0, 0.0, True)
        return
    if not PYTHON.exists():
        sys.exit(f"no clearml venv at {PYTHON}: run tests/clearml once to build it")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proc, url = start(work, args.db, args.workers)
        try:
            online = offline = 0.0
            if not args.load_only:
                online = min(round_trip(url, work, False, n) for n in range(args.rounds))
                offline = min(round_trip(url, work, True, n) for n in range(args.rounds))
            lat = background(url, args.clients, args.seconds, args.aligned)
        finally:
            proc.terminate()
            proc.wait(10)
    report(args, lat, online, offline, args.load_only)


def report(args: argparse.Namespace, lat: dict[str, list[float]], online: float,
           offline: float, load_only: bool) -> None:
    print("| measure | value |\n|---|---|")
    if not load_only:
        print(f"| producer + consumer, modelyard | {online:.2f} s |")
        print(f"| producer + consumer, CLEARML_OFFLINE_MODE | {offline:.2f} s |")
        print(f"| added by the server | {online - offline:.2f} s |")
    every = [x for values in lat.values() for x in values]
    print(f"| {args.clients} tasks reporting, {len(every)} calls: p50 | "
          f"{pct(every, 50) * 1000:.1f} ms |")
    print(f"| same, p99 | {pct(every, 99) * 1000:.1f} ms |")
    for name, values in lat.items():
        if values:
            print(f"| {name} ({len(values)} calls): p50 / p99 | {pct(values, 50) * 1000:.1f}"
                  f" / {pct(values, 99) * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
