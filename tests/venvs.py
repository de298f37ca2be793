"""Cached venvs for peer clients whose versions clash with ours (mlflow 2, clearml,
dvc, gto): built once per machine (pip caches the wheels) under
``$MODELYARD_CLIENT_VENVS`` or ``~/.cache/modelyard``. When one cannot be built the
test skips with the reason, unless MODELYARD_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from tests.services import unavailable


def cache_root() -> Path:
    """Where the tests keep what they build once per machine (venvs, mypy's cache)."""
    return Path(os.environ.get("MODELYARD_CLIENT_VENVS")
                or Path.home() / ".cache" / "modelyard")


def client_venv(name: str, packages: list[str]) -> Path:
    """The python of a venv called ``name`` holding ``packages``, built on first use."""
    root = cache_root()
    venv = root / f"venv-{name}"
    python = venv / "bin" / "python"
    root.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as lock:  # xdist workers build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = venv / ".ready"
        if not ready.exists():
            try:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)],
                               check=True, capture_output=True, timeout=300)
                # No byte-compiling of every installed file (half of the install's
                # time for mlflow 2 with scikit-learn): the clients write the caches
                # of the modules they import on their first run (client_env).
                subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-compile",
                                *packages], check=True, capture_output=True, timeout=900)
                ready.touch()
            except (subprocess.SubprocessError, OSError) as exc:
                detail = getattr(exc, "stderr", b"") or b""
                unavailable(f"a venv with {' '.join(packages)} ({detail[-300:]!r})", exc)
    return python


def client_env(**extra: str) -> dict[str, str]:
    """The environment for a peer client's process: ours without pytest's and mlflow's
    variables, telemetry off, writing the byte-code caches of its venv's modules."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MLFLOW_", "PYTEST")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true", **extra)
    return env
