"""Storage transfer rates against an S3-compatible server on loopback (moto in server
mode, in its own process), in one run: `python benchmarks/bench_storage.py [MiB]`.

Uploads of one file (1 GiB unless a size in MiB is given):
- boto3 alone: `upload_file` with its default transfer settings (the floor);
- direct: the SDK's multipart upload, parts presigned by the server and sent straight
  to the storage, then completed (the server reads the object back to verify sha256);
- through the server: the same session, parts sent to the server's part route.
And 1,000 files of 64 KiB registered as one version, direct (hashing included).
Upload code lives in functions named ``upload_*`` (download rows may be added beside).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from _common import free_port  # noqa: E402

MiB = 1 << 20
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
       "AWS_DEFAULT_REGION": "us-east-1"}


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if proc.poll() is not None:
                raise SystemExit(f"{url} did not start") from None
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start in time")


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = ("from moto.server import ThreadedMotoServer; import time; "
            f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); "
            "s.start(); time.sleep(10**9)")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **ENV},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait(url, proc)
    return proc, url


def start_server(home: Path, artifacts: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port), "--home",
         str(home), "--artifacts-uri", artifacts, "--log-level", "warning"],
        env={**os.environ, **ENV, "PYTHONPATH": str(HERE.parent / "src")},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    _wait(url + "/health", proc)
    return proc, url


def _big_file(folder: Path, size: int) -> tuple[Any, Path]:
    from modelyard.domain.entities import FileEntry

    path = folder / "big.bin"
    h = hashlib.sha256()
    with open(path, "wb") as fh:
        left = size
        while left:
            chunk = os.urandom(min(left, 8 * MiB))
            h.update(chunk)
            fh.write(chunk)
            left -= len(chunk)
    return FileEntry("big.bin", size, h.hexdigest()), path


def upload_boto3(s3: Any, bucket: str, path: Path) -> float:
    t = time.perf_counter()
    s3.upload_file(str(path), bucket, "floor/big.bin")
    took = time.perf_counter() - t
    s3.delete_object(Bucket=bucket, Key="floor/big.bin")
    return took


def upload_verification_costs(s3: Any, bucket: str, path: Path) -> tuple[float, float]:
    """What completing a direct upload costs inside the storage: one streamed GET of
    the object (the server's sha256 check) and one CopyObject to its final key."""
    s3.upload_file(str(path), bucket, "cost/big.bin")
    t = time.perf_counter()
    body = s3.get_object(Bucket=bucket, Key="cost/big.bin")["Body"]
    h = hashlib.sha256()
    for chunk in body.iter_chunks(4 * MiB):
        h.update(chunk)
    read = time.perf_counter() - t
    t = time.perf_counter()
    s3.copy_object(CopySource={"Bucket": bucket, "Key": "cost/big.bin"}, Bucket=bucket,
                   Key="cost/copy.bin", ChecksumAlgorithm="SHA256")
    copy = time.perf_counter() - t
    for key in ("cost/big.bin", "cost/copy.bin"):
        s3.delete_object(Bucket=bucket, Key=key)
    return read, copy


def upload_sdk(url: str, entry: Any, path: Path, *, direct: bool) -> float:
    from modelyard.client.http import HttpClient
    from modelyard.client.uploads import UploadOptions

    with HttpClient(url, uploads=UploadOptions(direct=direct)) as c:
        t = time.perf_counter()
        c.upload_files([(entry, path)])
        return time.perf_counter() - t


def upload_many_small(url: str, folder: Path, count: int = 1000, size: int = 64 * 1024,
                      *, all_direct: bool = False) -> float:
    """The SDK's default: files under 1 MiB go through the server (one PUT each, which
    the server stores with one request); ``all_direct``: presigned in batches."""
    from modelyard.client.hashing import sha256_file
    from modelyard.client.http import HttpClient
    from modelyard.client.uploads import UploadOptions
    from modelyard.domain.entities import FileEntry

    files = []
    for i in range(count):
        p = folder / f"small-{i:04d}-{all_direct}.bin"
        p.write_bytes(os.urandom(size))
        files.append(p)
    options = UploadOptions(direct_min_size=0) if all_direct else UploadOptions()
    with HttpClient(url, uploads=options) as c:
        c.create_model(f"bench-small-{all_direct}")
        t = time.perf_counter()
        entries = [(FileEntry(p.name, p.stat().st_size, sha256_file(p)[0]), p) for p in files]
        c.upload_files(entries)
        c.create_version(f"bench-small-{all_direct}", [e for e, _ in entries])
        return time.perf_counter() - t


def upload_many_small_boto3(s3: Any, bucket: str, folder: Path, count: int = 1000,
                            size: int = 64 * 1024) -> float:
    """The floor for many small files: boto3 alone, one PutObject each, 16 at a time
    (the SDK's batch width), no hashing, no registry."""
    from concurrent.futures import ThreadPoolExecutor

    datas = [os.urandom(size) for _ in range(count)]
    t = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"floor/s{i}", Body=datas[i]),
                      range(count)))
    took = time.perf_counter() - t
    _drop(s3, bucket, "floor/")
    return took


def _drop(s3: Any, bucket: str, prefix: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])


def main(argv: list[str]) -> int:
    import argparse

    import boto3

    parser = argparse.ArgumentParser(description="Uploads against S3 on loopback: direct, "
                                     "through the server and boto3 alone, in one run.")
    parser.add_argument("--mib", type=int, default=1024, help="size of the big file")
    parser.add_argument("--small-only", action="store_true",
                        help="only the 1,000 small files (no big file)")
    args = parser.parse_args(argv)
    size = args.mib * MiB
    moto, s3_url = start_moto()
    os.environ.update(ENV)
    s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1")
    s3.create_bucket(Bucket="bench-storage")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server, url = start_server(folder / "home",
                                   f"s3://bench-storage/blobs?endpoint_url={s3_url}&region=us-east-1")
        try:
            if args.small_only:
                floor_small = upload_many_small_boto3(s3, "bench-storage", folder)
                print(f"1,000 files of 64 KiB as one version (target < 5 s): SDK default "
                      f"{upload_many_small(url, folder):.2f} s, all presigned "
                      f"{upload_many_small(url, folder, all_direct=True):.2f} s; boto3 "
                      f"PutObject alone, 16 at a time: {floor_small:.2f} s")
                return 0
            entry, path = _big_file(folder, size)
            rows = []
            for name, run in (("boto3 upload_file (floor)", lambda: upload_boto3(s3, "bench-storage", path)),
                              ("direct (presigned parts)", lambda: upload_sdk(url, entry, path, direct=True)),
                              ("through the server", lambda: upload_sdk(url, entry, path, direct=False))):
                took = run()
                _drop(s3, "bench-storage", "blobs/sha256/")
                rows.append((name, took))
            read, copy = upload_verification_costs(s3, "bench-storage", path)
            small = upload_many_small(url, folder)
            small_direct = upload_many_small(url, folder, all_direct=True)
            floor_small = upload_many_small_boto3(s3, "bench-storage", folder)
        finally:
            server.terminate()
            server.wait()
            moto.terminate()
            moto.wait()
    floor = rows[0][1]
    direct = rows[1][1]
    print(f"| upload of {size // MiB} MiB | seconds | MiB/s | vs boto3 |")
    print("|---|---|---|---|")
    for name, took in rows:
        print(f"| {name} | {took:.2f} | {size / MiB / took:.0f} | {floor / took:.2f}x |")
    print(f"\nthrough the server / direct: {direct / rows[2][1]:.2f} (target >= 0.70); "
          f"direct / boto3: {floor / direct:.2f} (target >= 0.87)")
    print(f"\ninside the storage, per completed direct upload: sha256 read {read:.2f} s, "
          f"CopyObject {copy:.2f} s")
    print(f"\n1,000 files of 64 KiB as one version (hash + upload + commit; target < 5 s): "
          f"SDK default (under 1 MiB through the server) {small:.2f} s, all presigned "
          f"{small_direct:.2f} s; boto3 PutObject alone, 16 at a time: {floor_small:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
