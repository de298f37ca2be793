"""MLflow drop-in benchmark: `python benchmarks/bench_mlflow.py [--scale 1.0]`.

Drives one workload through the official mlflow client against `modelyard server` and
against `mlflow server`, each on SQLite and a local folder in a temp directory, started
by this script on loopback ports of this machine, one after the other in the same run.
MLflow runs twice: as shipped (several workers) and with `--workers 1`; each figure is
compared with the faster of the two.

The workload (each step in a fresh client process, after a warm-up):
- registry: create models, create versions (source runs:/<id>/model), set aliases, get
  by alias, get version, search registered models over 3 pages, search versions by tag
  (100 matches) and by name (1 match), each timed on its own;
- tracking: log_batch of 1,000 metrics, log_metric, log_param, search_runs;
- artifacts: log a 256 MiB file as one PUT (the client's default) and in parallel
  parts (``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true`` and a minimum file size below
  256 MiB, as a user turns it on; the client's default part size of 10 MiB), and
  download it (MiB/s, best of 3 each).  Whether the client really sent parts is
  recorded (a server that cannot take them answers ``mpu/create`` with "not
  supported" and the client falls back to one PUT);
- models: register_model + load_model by alias of a logged scikit-learn model.

``--steps`` runs some groups only (registry, tracking, transfer, models).

Prints a Markdown table: latency p50 per call (or MiB/s), and the ratio (how many
times faster modelyard is than the faster MLflow).  The servers are measured in
``--rounds`` interleaved rounds, fresh each time, keeping each step's best round.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import free_port

HERE = Path(__file__).resolve()
# The one-PUT row is the client's default: multipart settings of the caller's shell are
# dropped (the worker sets them around its multipart uploads only).
ENV = {**{k: v for k, v in os.environ.items() if "MULTIPART_UPLOAD" not in k},
       "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
       "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "PYTHONWARNINGS": "ignore"}

# (key, label, unit, higher is better)
STEPS = [
    ("create_model", "create_registered_model", "ms", False),
    ("create_version", "create_model_version", "ms", False),
    ("set_alias", "set_registered_model_alias (2 calls: get + set)", "ms", False),
    ("get_by_alias", "get_model_version_by_alias", "ms", False),
    ("get_version", "get_model_version", "ms", False),
    ("search_models_3_pages", "search_registered_models, 3 pages of 100", "ms", False),
    ("search_versions", "search_model_versions by tag (100 matches)", "ms", False),
    ("search_versions_name", "search_model_versions by name (1 match)", "ms", False),
    ("create_run", "create_run", "ms", False),
    ("log_batch_1000", "log_batch of 1,000 metrics", "ms", False),
    ("log_metric", "log_metric", "ms", False),
    ("log_param", "log_param", "ms", False),
    ("search_runs", "search_runs (metrics filter, 100 runs)", "ms", False),
    ("upload_mibs", "log_artifact of 256 MiB, one PUT", "MiB/s", True),
    ("upload_mpu_mibs", "log_artifact of 256 MiB, multipart enabled", "MiB/s", True),
    ("download_mibs", "download_artifacts of 256 MiB", "MiB/s", True),
    ("log_model", "sklearn log_model (pip requirements given)", "ms", False),
    ("register_load", "register_model + set alias + load_model by alias", "ms", False),
]


# -- the workload (runs in a child process per server) ---------------------------------
def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return p50(out)


GROUPS = ("registry", "tracking", "transfer", "models")
MiB = 1 << 20
# How a user turns on the client's parallel parts for a 256 MiB file: proxied
# multipart on, and the minimum file size (500 MiB by default) below 256 MiB; the part
# size stays the client's default (10 MiB, so 26 parts on the client's thread pool).
MULTIPART_ENV = {"MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
                 "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(100 * MiB)}


def workload(url: str, scale: float, work: Path, steps: tuple[str, ...] = GROUPS
             ) -> dict[str, float]:
    import warnings

    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(url)
    c = MlflowClient(url)
    res: dict[str, float] = {}
    for _ in range(20):  # warm-up: connections, imports, server caches
        c.search_registered_models(max_results=1)
        c.search_experiments(max_results=1)

    exp = c.create_experiment("bench")
    if "registry" in steps:
        registry(c, exp, scale, res)
    if "tracking" in steps:
        tracking(c, exp, scale, res)
    if "transfer" in steps:
        transfer(c, exp, work, res)
    if "models" in steps:
        models(c, exp, res)
    return res


def _n(k: int, scale: float) -> int:
    return max(5, int(k * scale))


def registry(c, exp: str, scale: float, res: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    n = lambda k: _n(k, scale)  # noqa: E731
    run_id = c.create_run(exp).info.run_id
    res["create_model"] = timed(lambda i: c.create_registered_model(f"bench-{i:04d}"), n(200))
    for i in range(10):
        c.create_model_version(f"bench-{i:04d}", f"runs:/{run_id}/model", run_id=run_id)
    res["create_version"] = timed(lambda i: c.create_model_version(
        "bench-0000", f"runs:/{run_id}/model", run_id=run_id,
        tags={"k": "even" if i % 2 else "odd"}), n(1000))
    versions = n(1000) + 1
    res["set_alias"] = timed(lambda i: c.set_registered_model_alias(
        "bench-0000", f"a{i % 50}", 1 + i % versions), n(1000))
    res["get_by_alias"] = timed(lambda i: c.get_model_version_by_alias(
        "bench-0000", f"a{i % 50}"), n(1000))
    res["get_version"] = timed(lambda i: c.get_model_version("bench-0000", 1 + i % versions),
                               n(1000))
    for i in range(10):
        c.create_registered_model(f"zz-{i}")

    def three_pages(_: int) -> None:
        token = None
        for _ in range(3):
            page = c.search_registered_models("name LIKE 'bench-%'", max_results=100,
                                              page_token=token)
            token = page.token
    if n(200) >= 200:
        res["search_models_3_pages"] = timed(three_pages, n(200))
    else:  # fewer models than 3 pages: still 3 calls
        res["search_models_3_pages"] = timed(three_pages, 50)
    # Each search timed on its own: the median of both alternating fell between the two
    # (1 match and 100) and said neither.
    res["search_versions"] = timed(lambda i: c.search_model_versions(
        "tags.k = 'odd'", max_results=100), n(200))
    res["search_versions_name"] = timed(lambda i: c.search_model_versions(
        "name = 'bench-0001'", max_results=100), n(200))


def tracking(c, exp: str, scale: float, res: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    from mlflow.entities import Metric

    n = lambda k: _n(k, scale)  # noqa: E731
    other = c.create_experiment("bench-create-run")  # search_runs's experiment stays as it was
    res["create_run"] = timed(lambda i: c.create_run(other, run_name=f"r{i}"), n(500))
    batch_run = c.create_run(exp).info.run_id
    now = int(time.time() * 1000)
    res["log_batch_1000"] = timed(lambda i: c.log_batch(batch_run, metrics=[
        Metric(f"m{j % 10}", float(j), now + j, i * 1000 + j) for j in range(1000)]), n(20))
    runs = [c.create_run(exp).info.run_id for _ in range(n(100))]
    res["log_metric"] = timed(lambda i: c.log_metric(runs[i % len(runs)], "acc", i / 2000,
                                                     step=i), n(1000))
    res["log_param"] = timed(lambda i: c.log_param(runs[i % len(runs)], f"p{i}", str(i)),
                             n(1000))
    res["search_runs"] = timed(lambda i: c.search_runs([exp], "metrics.acc > 0.0",
                                                       max_results=100), n(100))


def _count_parts() -> list[int]:
    """Observe (not change) the client: the number of parts of each multipart upload
    that completed; an upload the server refused to take in parts adds nothing."""
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository

    done: list[int] = []
    upload = HttpArtifactRepository._try_multipart_upload

    def counted(self, local_file, artifact_path=None):  # type: ignore[no-untyped-def]
        upload(self, local_file, artifact_path)
        chunk = int(os.environ.get("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", 10 * MiB))
        done.append(-(-os.path.getsize(local_file) // chunk))

    HttpArtifactRepository._try_multipart_upload = counted  # type: ignore[method-assign]
    return done


def transfer(c, exp: str, work: Path, res: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    big = work / "big.bin"
    with open(big, "wb") as fh:
        block = os.urandom(MiB)
        for i in range(256):
            fh.write(block[i:] + block[:i])
    parts = _count_parts()
    up, up_mpu, down = [], [], []
    for r in range(3):
        rid = c.create_run(exp).info.run_id
        t = time.perf_counter()
        c.log_artifact(rid, str(big), "data")
        up.append(256 / (time.perf_counter() - t))
        os.environ.update(MULTIPART_ENV)
        try:
            t = time.perf_counter()
            c.log_artifact(rid, str(big), "mpu")
            up_mpu.append(256 / (time.perf_counter() - t))
        finally:
            for key in MULTIPART_ENV:
                del os.environ[key]
        dst = work / f"dl{r}"
        dst.mkdir()
        t = time.perf_counter()
        c.download_artifacts(rid, "data/big.bin", str(dst))
        down.append(256 / (time.perf_counter() - t))
        shutil.rmtree(dst)
    big.unlink()
    res["upload_mibs"], res["upload_mpu_mibs"], res["download_mibs"] = (
        max(up), max(up_mpu), max(down))
    res["upload_mpu_parts"] = max(parts, default=0)


def models(c, exp: str, res: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    import mlflow
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=300).fit(X, y)
    mlflow.set_experiment(experiment_id=exp)
    log_t, reg_t = [], []
    for _ in range(5):
        t = time.perf_counter()
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(clf, name="model", pip_requirements=["scikit-learn"])
        log_t.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        v = mlflow.register_model(f"models:/{info.model_id}", "bench-e2e")
        c.set_registered_model_alias("bench-e2e", "production", v.version)
        loaded = mlflow.pyfunc.load_model("models:/bench-e2e@production")
        loaded.predict(X[:2])
        reg_t.append((time.perf_counter() - t) * 1000)
    res["log_model"], res["register_load"] = p50(log_t), p50(reg_t)


# -- servers ---------------------------------------------------------------------------
def wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start in time")


def start(kind: str, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if kind == "modelyard":
        cmd = [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
               "--home", str(work / "home"), "--log-level", "warning"]
    else:
        cmd = [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port",
               str(port), "--backend-store-uri", f"sqlite:///{work / 'mlflow.db'}",
               "--artifacts-destination", str(work / "artifacts")]
        if kind == "mlflow-1":
            cmd += ["--workers", "1"]
    proc = subprocess.Popen(cmd, env=ENV, cwd=work, stdout=subprocess.DEVNULL,
                            stderr=open(work / "server.log", "wb"))  # noqa: SIM115
    try:
        wait_ready(proc, url)
    except BaseException:
        proc.kill()
        raise
    return proc, url


def measure(kind: str, scale: float, root: Path, steps: tuple[str, ...] = GROUPS
            ) -> dict[str, float]:
    work = root / kind
    work.mkdir(parents=True)
    proc, url = start(kind, work)
    try:
        out = subprocess.run([sys.executable, str(HERE), "--worker", url, "--scale", str(scale),
                              "--work", str(work), "--steps", *steps], env=ENV, capture_output=True, text=True,
                             timeout=3600)
        if out.returncode:
            raise RuntimeError(f"{kind} workload failed:\n{out.stderr[-4000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def best(old: dict[str, float] | None, new: dict[str, float]) -> dict[str, float]:
    """Per step, the better of two rounds (the machine is shared: the best round is the
    one least disturbed)."""
    if old is None:
        return new
    higher = {key for key, _, _, up in STEPS if up} | {"upload_mpu_parts"}
    return {k: (max if k in higher else min)(old[k], new[k]) for k in new}


def report(results: dict[str, dict[str, float]]) -> None:
    kinds = [k for k in ("modelyard", "mlflow", "mlflow-1") if k in results]
    print("\n| step | modelyard | MLflow as shipped | MLflow --workers 1 | ratio |")
    print("|---|---:|---:|---:|---:|")
    for key, label, unit, higher in STEPS:
        if key not in results["modelyard"]:
            continue
        ours = results["modelyard"][key]
        theirs = [results[k][key] for k in kinds if k != "modelyard"]
        best = max(theirs) if higher else min(theirs)
        ratio = ours / best if higher else best / ours
        cells = [f"{results[k][key]:.1f} {unit}" if k in results else "-"
                 for k in ("modelyard", "mlflow", "mlflow-1")]
        print(f"| {label} | {' | '.join(cells)} | {ratio:.1f}x |")
    print("\nratio: the faster MLflow's latency / ours (throughput: ours / the faster MLflow's)")
    ours = results["modelyard"]
    if "set_alias" in ours and "get_by_alias" in ours and ours["set_alias"] > 30:
        # An alias write is two requests on one kept-alive connection; a delayed-ACK
        # stall (a socket without TCP_NODELAY) adds ~40 ms to the second.
        print(f"WARNING: set alias takes {ours['set_alias']:.1f} ms against "
              f"{ours['get_by_alias']:.1f} ms for a read: a delayed-ACK stall?")
    if "upload_mpu_parts" in results["modelyard"]:
        sent = ", ".join(f"{k} {int(results[k]['upload_mpu_parts'])} parts" if
                         results[k]["upload_mpu_parts"] else f"{k} one PUT (multipart refused)"
                         for k in kinds)
        print(f"multipart enabled, what the client did: {sent}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0, help="loop sizes (1.0: as documented)")
    ap.add_argument("--only", nargs="*", default=["modelyard", "mlflow", "mlflow-1"])
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds over all servers, interleaved; the best of each is kept")
    ap.add_argument("--steps", nargs="*", choices=GROUPS, default=list(GROUPS),
                    help="groups of the workload to run (default: all)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(workload(args.worker, args.scale, Path(args.work),
                                    tuple(args.steps))))
        return 0
    root = Path(tempfile.mkdtemp(prefix="bench-mlflow-", dir=os.environ.get("BENCH_DIR")))
    results: dict[str, dict[str, float]] = {}
    try:
        for r in range(args.rounds):
            for kind in args.only:
                t = time.perf_counter()
                results[kind] = best(results.get(kind), measure(kind, args.scale, root / str(r),
                                                            tuple(args.steps)))
                print(f"round {r + 1}, {kind}: done in {time.perf_counter() - t:.0f} s "
                      f"(load average {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if "modelyard" in results and len(results) > 1:
        report(results)
    else:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
