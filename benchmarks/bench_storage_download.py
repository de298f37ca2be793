"""Downloads from object storage: `python benchmarks/bench_storage_download.py [--mib 1024]`.

One blob of ``--mib`` MiB in an S3-compatible bucket (moto's server, the one the tests
use, in a process of its own on loopback), read three ways in one run, each into a
fresh file on the same disk:

- **boto3** ``download_file`` with its default transfer settings (the floor: no
  registry, no hashing);
- **direct**: the SDK's download of the version, with the presigned URL the server
  hands out (``POST /api/v1/blobs:locate``), as parallel ranged reads from the
  bucket, sha256 verified while written;
- **through the server**: the same with ``direct=False`` (``--proxy-artifacts`` on the
  client side): parallel ranged reads from one ``modelyard server`` process, which
  reads them from the bucket;
- both again as one stream (``ranged_above=None``).  moto reads a whole object for
  every GET, a ranged one included, under one lock, so against it a ranged read costs
  the whole object: boto3's defaults and the SDK's ranged reads pay that alike.

Prints a Markdown table (seconds, MiB/s, ratio) and the targets: direct within 15% of
boto3; through the server at least 70% of direct.  ``--rounds`` takes the best of N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import free_port

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from modelyard.client.http import HttpClient  # noqa: E402

ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1"}


def wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args!r} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def start(args: list[str], url: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait(url, proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


def best(fn, rounds: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=1)
    opts = ap.parse_args()
    env = {**os.environ, **ENV}
    os.environ.update(ENV)
    work = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    s3_port, port = free_port(), free_port()
    s3 = f"http://127.0.0.1:{s3_port}"
    moto = start(["moto_server", "-H", "127.0.0.1", "-p", str(s3_port)], s3, env)
    server = None
    try:
        import boto3

        boto = boto3.client("s3", endpoint_url=s3, region_name="us-east-1")
        boto.create_bucket(Bucket="bench")
        server = start([sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
                        "--home", str(work / "home"), "--log-level", "warning",
                        "--artifacts-uri", f"s3://bench/blobs?endpoint_url={s3}&region=us-east-1"],
                       f"http://127.0.0.1:{port}/health",
                       {**env, "PYTHONPATH": str(ROOT / "src")})
        url = f"http://127.0.0.1:{port}"
        model = work / "model"
        model.mkdir()
        with open(model / "weights.bin", "wb") as fh:
            for _ in range(opts.mib):
                fh.write(os.urandom(1 << 20))
        with HttpClient(url, timeout=600) as c:
            v = c.register("big", model)
            entry = next(f for f in c.get_version("big", v.version).files or [])
        key = f"blobs/sha256/{entry.sha256[:2]}/{entry.sha256[2:]}"

        def fresh(name: str) -> Path:
            out = work / name
            shutil.rmtree(out, ignore_errors=True)
            return out

        def floor() -> None:
            out = fresh("boto3")
            out.mkdir()
            boto.download_file("bench", key, str(out / "weights.bin"))

        def sdk(name: str, **options: object) -> None:
            with HttpClient(url, timeout=600, **options) as c:  # type: ignore[arg-type]
                c.download("big/1", fresh(name))

        results = {
            "boto3 download_file (defaults; the floor)": best(floor, opts.rounds),
            "direct: presigned URL, parallel ranged reads": best(
                lambda: sdk("direct"), opts.rounds),
            "direct: presigned URL, one stream": best(
                lambda: sdk("direct-stream", ranged_above=None), opts.rounds),
            "through the server: parallel ranged reads": best(
                lambda: sdk("proxied", direct=False), opts.rounds),
            "through the server: one stream": best(
                lambda: sdk("stream", direct=False, ranged_above=None), opts.rounds),
        }
    finally:
        if server is not None:
            stop(server)
        stop(moto)
        shutil.rmtree(work, ignore_errors=True)
    rows = list(results.items())
    floor_s, direct_s, proxied_s = rows[0][1], rows[1][1], rows[3][1]
    print(f"{opts.mib} MiB, one blob, best of {opts.rounds}\n")
    print("| read | seconds | MiB/s | vs boto3 |")
    print("|---|---|---|---|")
    for what, secs in rows:
        print(f"| {what} | {secs:.2f} | {opts.mib / secs:.0f} | {floor_s / secs:.2f}x |")
    print(f"\nranged (the SDK's default above 64 MiB): direct / boto3: "
          f"{floor_s / direct_s:.2f} (target >= 0.85); through the server / direct: "
          f"{direct_s / proxied_s:.2f} (target >= 0.70)")
    stream_direct, stream_proxied = rows[2][1], rows[4][1]
    print(f"one stream: direct / boto3: {floor_s / stream_direct:.2f}; through the server "
          f"/ direct: {stream_direct / stream_proxied:.2f}")


if __name__ == "__main__":
    main()
