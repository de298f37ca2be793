"""What a new user trips on, through the real CLI: URI typos, reads that would create a
registry, path-like targets that do not exist, datasets that come back, progress."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

import modelyard
from modelyard.errors import NotFound
from tests.cli.test_cli import run

SRC = str(Path(modelyard.__file__).resolve().parents[1])


@pytest.mark.parametrize("uri", ["127.0.0.1:5733", "localhost:5733", "[::1]:5000"])
def test_host_port_without_a_scheme_is_refused(uri: str, tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", "--uri", uri, "models",
                           "list"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": SRC}, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"error: {uri!r} has no scheme; to reach a server use http://{uri}"]
    assert list(tmp_path.iterdir()) == []


def test_a_read_never_creates_a_registry_and_a_write_says_it_did(tmp_path: Path):
    folder = str(tmp_path / "registry")
    for args in (["models", "list"], ["models", "show", "m"], ["datasets", "list"],
                 ["runs", "list", "0"], ["deployments", "list"], ["events"]):
        proc = run(*args, uri=folder, ok=False)
        assert proc.returncode == 1, args
        assert proc.stderr.strip().splitlines() == [
            f"error: no registry at {folder}"], args
    proc = run("--json", "datasets", "list", uri=folder, ok=False)
    assert proc.returncode == 1 and json.loads(proc.stderr) == {
        "error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"no registry at {folder}"}
    assert not Path(folder).exists()
    proc = run("models", "create", "m", uri=folder)
    assert proc.stderr.strip().splitlines() == [f"created a new registry at {folder}"]
    proc = run("models", "list", uri=folder)
    assert "m" in proc.stdout and proc.stderr == ""
    assert run("models", "create", "n", uri=folder).stderr == ""


def test_registering_under_a_new_name_says_it_made_the_model(tmp_path: Path):
    folder = str(tmp_path / "registry")
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"weights")
    run("models", "create", "card-fraud", uri=folder)
    proc = run("versions", "register", "card-fraud", str(weights), uri=folder)
    assert proc.stdout.strip() == "1" and proc.stderr == ""
    proc = run("versions", "register", "card-frad", str(weights), uri=folder)  # a typo
    assert proc.stdout.strip() == "1"
    assert proc.stderr.strip().splitlines() == [
        "created model 'card-frad' (--no-create refuses a new name)"]
    proc = run("versions", "register", "card-fard", str(weights), "--no-create", uri=folder,
               ok=False)
    assert proc.returncode == 1 and "'card-fard' does not exist" in proc.stderr


def test_sdk_load_model_and_serve_name_the_missing_folder(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    for ref in ("./nope-folder", "../nope-folder", "~/nope-folder-modelyard", "/nope/folder"):
        with pytest.raises(NotFound, match=f"^no such folder: {ref}$"):
            modelyard.load_model(ref, client=modelyard.Client(str(tmp_path / "r")))
    proc = run("serve", "./nonexistent-folder", uri=str(tmp_path / "r"), ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: no such folder: ./nonexistent-folder"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    (d / "sub").mkdir(parents=True)
    (d / "train.csv").write_text("a,b\n1,2\n")
    (d / "sub" / "x.bin").write_bytes(os.urandom(10_000))
    return d


def test_datasets_download_and_cat_in_a_folder(data_dir: Path, tmp_path: Path):
    _datasets_download_and_cat(str(tmp_path / "registry"), data_dir, tmp_path)


def test_datasets_download_and_cat_over_http(server_url: str, data_dir: Path, tmp_path: Path):
    _datasets_download_and_cat(server_url, data_dir, tmp_path)


def _datasets_download_and_cat(uri: str, data_dir: Path, tmp_path: Path) -> None:
    assert run("datasets", "register", str(data_dir), "--name", "tx", uri=uri).stdout.strip() \
        == "tx/1"
    (data_dir / "train.csv").write_text("a,b\n3,4\n")
    run("datasets", "register", str(data_dir), "--name", "tx", uri=uri)
    out = tmp_path / "v1"
    proc = run("datasets", "download", "tx/1", str(out), uri=uri)
    assert proc.stdout.strip() == f"downloaded tx/1 (2 files) to {out}"
    assert (out / "train.csv").read_text() == "a,b\n1,2\n"
    assert (out / "sub" / "x.bin").read_bytes() == (data_dir / "sub" / "x.bin").read_bytes()
    got = json.loads(run("--json", "datasets", "download", "tx@latest", str(tmp_path / "l"),
                         uri=uri).stdout)
    assert (got["name"], got["version"], got["files"]) == ("tx", 2, 2)
    assert (tmp_path / "l" / "train.csv").read_text() == "a,b\n3,4\n"
    assert run("datasets", "cat", "tx/1", "train.csv", uri=uri).stdout == "a,b\n1,2\n"
    proc = run("datasets", "cat", "tx/1", "nope.csv", uri=uri, ok=False)
    assert proc.returncode == 1 and "has no file" in proc.stderr


def _on_a_terminal(args: list[str], uri: str) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal (progress bars show only there)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "MODELYARD_URI": uri, "PYTHONPATH": SRC, "COLUMNS": "120",
           "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "modelyard.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(120)
    os.close(leader)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


def test_register_shows_hashing_progress_before_upload(tmp_path: Path):
    src = tmp_path / "big"
    src.mkdir()
    for i in range(4):
        (src / f"w{i}.bin").write_bytes(os.urandom(8 << 20))
    code, err = _on_a_terminal(["versions", "register", "big", str(src)],
                               str(tmp_path / "registry"))
    assert code == 0, err
    assert "hash" in err and "upload" in err
    assert err.index("hash") < err.index("upload")


def test_sdk_reports_hashing_before_any_upload(client, tmp_path: Path):  # type: ignore[no-untyped-def]
    src = tmp_path / "m"
    src.mkdir()
    for i in range(5):
        (src / f"f{i}").write_bytes(os.urandom(1000 * (i + 1)))
    events: list[tuple[str, int]] = []
    client.register("m", src, hash_progress=lambda n: events.append(("hash", n)),
                    progress=lambda n: events.append(("upload", n)))
    kinds = [k for k, _ in events]
    assert kinds.index("upload") == kinds.count("hash") == 5
    assert sum(n for k, n in events if k == "hash") == 15_000
    assert sum(n for k, n in events if k == "upload") == 15_000


def test_many_small_files_download_in_parallel_and_verified(client, tmp_path: Path):  # type: ignore[no-untyped-def]
    import threading

    src = tmp_path / "many"
    for i in range(600):  # over HTTP: three batch reads (at most 256 files each)
        d = src / f"d{i // 150}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}.bin").write_bytes(os.urandom(512))
    client.register("many", src)
    threads: set[str] = set()

    def progress(n: int) -> None:
        threads.add(threading.current_thread().name)

    out = client.download("many/1", tmp_path / "out", progress=progress)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.bin")) == \
        sorted(p.relative_to(src).as_posix() for p in src.rglob("*.bin"))
    assert all((out / p.relative_to(src)).read_bytes() == p.read_bytes()
               for p in src.rglob("*.bin"))
    assert 1 < len(threads) <= 8
