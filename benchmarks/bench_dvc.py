"""DVC remote and sync benchmark: `python benchmarks/bench_dvc.py [--small 1000] [--big-mib 256] [--tags 200]`.

With the real ``dvc`` 3.x CLI (a cached venv with ``dvc-http`` and ``dvc-s3``, built
on first use by ``tests/venvs.py``), in one run and on the same disk:

- ``dvc push`` then ``dvc pull`` into a fresh clone (empty cache) of ``--small`` files
  of 4 KiB, then of one file of ``--big-mib`` MiB, to three remotes: modelyard's
  (``modelyard server`` on SQLite and a local folder, open mode, loopback), a plain
  local-directory remote (the floor) and an S3-compatible server on loopback (moto);
- ``modelyard dvc sync`` of a repository with ``--tags`` GTO version tags (one commit
  each, the model's bytes in the local DVC cache, so sync uploads every version).

Prints a Markdown table of seconds per step (best of ``--rounds``) and the ratio of
each remote to the local-directory floor.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import free_port

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def venv_bin() -> Path:
    from tests.venvs import client_venv

    return client_venv("dvc-3-s3", ["dvc==3.67.1", "dvc-http", "dvc-s3", "gto"]).parent


def env_for(work: Path, bin_dir: Path) -> dict[str, str]:
    conf = work / "dvc-global"
    conf.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(DVC_NO_ANALYTICS="1", ITERATIVE_DO_NOT_TRACK="1", DO_NOT_TRACK="true",
               DVC_GLOBAL_CONFIG_DIR=str(conf), DVC_SYSTEM_CONFIG_DIR=str(conf),
               GIT_AUTHOR_NAME="Bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="Bench", GIT_COMMITTER_EMAIL="bench@example.com",
               AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", NO_PROXY="*",
               PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


def sh(cwd: Path, env: dict[str, str], *args: str) -> float:
    t = time.perf_counter()
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {done.stdout[-800:]} {done.stderr[-1500:]}")
    return time.perf_counter() - t


def start_modelyard(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(port),
         "--home", str(work / "home"), "--log-level", "warning"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "wb"))  # noqa: SIM115
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("modelyard server did not start")


def start_moto() -> tuple[Any, str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    import boto3

    boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing"
                 ).create_bucket(Bucket="dvc")
    return server, f"http://127.0.0.1:{port}"


def make_repo(work: Path, env: dict[str, str], name: str, small: int, big_mib: int) -> Path:
    repo = work / name
    repo.mkdir()
    sh(repo, env, "git", "init", "-q", "-b", "main")
    sh(repo, env, "dvc", "init", "-q")
    sh(repo, env, "dvc", "config", "core.analytics", "false")
    if small:
        data = repo / "small"
        data.mkdir()
        for i in range(small):
            (data / f"f{i:05d}.bin").write_bytes(os.urandom(4096))
        sh(repo, env, "dvc", "add", "small")
    if big_mib:
        with open(repo / "big.bin", "wb") as fh:
            block = os.urandom(1 << 20)
            for i in range(big_mib):
                fh.write(hashlib.sha256(block + i.to_bytes(4, "big")).digest() * 32768)
        sh(repo, env, "dvc", "add", "big.bin")
    sh(repo, env, "git", "add", "-A")
    sh(repo, env, "git", "commit", "-qm", "data")
    return repo


def add_remotes(repo: Path, env: dict[str, str], yard: str, floor: Path, s3: str) -> None:
    sh(repo, env, "dvc", "remote", "add", "yard", f"{yard}/dvc/default")
    sh(repo, env, "dvc", "remote", "add", "floor", str(floor))
    sh(repo, env, "dvc", "remote", "add", "s3", "s3://dvc/store")
    sh(repo, env, "dvc", "remote", "modify", "s3", "endpointurl", s3)
    sh(repo, env, "git", "commit", "-qam", "remotes")


def push_pull(work: Path, env: dict[str, str], repo: Path, remote: str,
              round_: int) -> tuple[float, float]:
    pushed = sh(repo, env, "dvc", "push", "-r", remote)
    clone = work / f"clone-{repo.name}-{remote}-{round_}"
    sh(work, env, "git", "clone", "-q", str(repo), str(clone))
    pulled = sh(clone, env, "dvc", "pull", "-q", "-r", remote)
    shutil.rmtree(clone)
    return pushed, pulled


def sync_tags(work: Path, env: dict[str, str], yard: str, tags: int) -> float:
    repo = work / "tags"
    repo.mkdir()
    sh(repo, env, "git", "init", "-q", "-b", "main")
    sh(repo, env, "dvc", "init", "-q")
    (repo / "dvc.yaml").write_text("artifacts:\n  bench-model:\n    path: model.bin\n"
                                   "    type: model\n")
    cache = repo / ".dvc" / "cache" / "files" / "md5"
    script = []
    for i in range(tags):
        data = f"model {i}\n".encode() * 256
        md5 = hashlib.md5(data).hexdigest()
        (cache / md5[:2]).mkdir(parents=True, exist_ok=True)
        (cache / md5[:2] / md5[2:]).write_bytes(data)
        (repo / "model.bin.dvc").write_text(
            f"outs:\n- md5: {md5}\n  size: {len(data)}\n  hash: md5\n  path: model.bin\n")
        script.append(f"git add -A && git commit -qm 'model {i}' && "
                      f"git tag -a 'bench-model@v1.{i}.0' -m 'version {i}'")
        sh(repo, env, "sh", "-c", script[-1])
    menv = {**env, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])}
    return sh(repo, menv, sys.executable, "-m", "modelyard.cli", "dvc", "sync", ".", "--uri", yard)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", type=int, default=1000, help="number of 4 KiB files")
    ap.add_argument("--big-mib", type=int, default=256, help="size of the big file in MiB")
    ap.add_argument("--tags", type=int, default=200, help="GTO version tags to sync")
    ap.add_argument("--rounds", type=int, default=1, help="rounds (best is kept)")
    args = ap.parse_args()
    bin_dir = venv_bin()
    work = Path(tempfile.mkdtemp(prefix="bench-dvc-"))
    env = env_for(work, bin_dir)
    proc, yard = start_modelyard(work)
    moto, s3 = start_moto()
    results: dict[str, dict[str, float]] = {}
    try:
        for label, small, big in (("small", args.small, 0), ("big", 0, args.big_mib)):
            for r in range(args.rounds):
                repo = make_repo(work, env, f"{label}-{r}", small, big)
                add_remotes(repo, env, yard, work / f"floor-{label}-{r}", s3)
                for remote in ("floor", "yard", "s3"):
                    pushed, pulled = push_pull(work, env, repo, remote, r)
                    for step, value in (("push", pushed), ("pull", pulled)):
                        key = f"{label} {step}"
                        best = results.setdefault(key, {})
                        best[remote] = min(best.get(remote, value), value)
        sync_s = sync_tags(work, env, yard, args.tags)
    finally:
        proc.terminate()
        proc.wait(10)
        moto.stop()
        shutil.rmtree(work, ignore_errors=True)
    names = {"small": f"{args.small} x 4 KiB", "big": f"1 x {args.big_mib} MiB"}
    print("| step | local directory (floor) | modelyard | moto S3 | modelyard / floor |")
    print("|---|---|---|---|---|")
    for key, row in results.items():
        label, step = key.split()
        print(f"| dvc {step} {names[label]} | {row['floor']:.2f} s | {row['yard']:.2f} s | "
              f"{row['s3']:.2f} s | {row['yard'] / row['floor']:.2f}x |")
    print(f"\nmodelyard dvc sync of {args.tags} version tags: {sync_s:.2f} s")


if __name__ == "__main__":
    main()
