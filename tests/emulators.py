"""Object-storage emulators installed from the package registries and started on
loopback by the fixtures: a GCS emulator from PyPI (``gcp-storage-emulator``, in a
thread) and Azurite from npm (``azurite``, a node process, installed once per machine
under ``$MODELYARD_CLIENT_VENVS`` or ``~/.cache/modelyard``)."""

from __future__ import annotations

import fcntl
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.live import free_port
from tests.services import unavailable
from tests.venvs import cache_root

AZURITE_VERSION = "3.37.0"
# Azurite's well-known development account: published by Microsoft for the emulator,
# accepted by nothing else.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")


def gcs_emulator() -> Iterator[str]:
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError as exc:
        unavailable("the GCS emulator (pip install gcp-storage-emulator)", exc)
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _azurite_bin() -> Path:
    root = cache_root() / f"azurite-{AZURITE_VERSION}"
    binary = root / "node_modules" / ".bin" / "azurite-blob"
    root.mkdir(parents=True, exist_ok=True)
    with open(f"{root}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not binary.exists():
            npm = shutil.which("npm")
            if npm is None:
                unavailable("Azurite (npm is not installed)", FileNotFoundError("npm"))
            try:
                subprocess.run([str(npm), "install", "--no-audit", "--no-fund", "--silent",
                                "--prefix", str(root), f"azurite@{AZURITE_VERSION}"],
                               check=True, capture_output=True, timeout=600)
            except (subprocess.SubprocessError, OSError) as exc:
                unavailable("Azurite from npm", exc)
    return binary


def azurite(workdir: Path) -> Iterator[str]:
    binary = _azurite_bin()
    port = free_port()
    proc = subprocess.Popen(
        [str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
         str(workdir), "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                unavailable("Azurite", exc)
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}"
    finally:
        proc.terminate()
        proc.wait(10)


def azurite_connection_string(endpoint: str) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};")
