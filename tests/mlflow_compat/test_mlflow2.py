"""MLflow 2 code (stages, transition_model_version_stage, get_latest_versions, models
logged as run artifacts) against modelyard, with the mlflow==2.19.0 client.

The client lives in its own venv, built once per machine (pip caches the wheels) at
``$MODELYARD_MLFLOW2_VENV`` or ``~/.cache/modelyard/venv-mlflow-2.19.0``; when it
cannot be built the test skips with the reason, unless MODELYARD_REQUIRE_SERVICES=1
(CI), where it fails.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import unavailable

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

VERSION = "2.19.0"
FLOW = Path(__file__).with_name("mlflow2_flow.py")


def _venv() -> Path:
    default = Path.home() / ".cache" / "modelyard" / f"venv-mlflow-{VERSION}"
    return Path(os.environ.get("MODELYARD_MLFLOW2_VENV") or default)


@pytest.fixture(scope="session")
def mlflow2_python() -> str:
    venv = _venv()
    python = venv / "bin" / "python"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{venv}.lock", "w") as lock:  # xdist workers build it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = venv / ".ready"
        if not ready.exists():
            try:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)],
                               check=True, capture_output=True, timeout=300)
                subprocess.run([str(python), "-m", "pip", "install", "-q",
                                f"mlflow=={VERSION}", "scikit-learn"],
                               check=True, capture_output=True, timeout=900)
                ready.touch()
            except (subprocess.SubprocessError, OSError) as exc:
                detail = getattr(exc, "stderr", b"") or b""
                unavailable(f"a venv with mlflow=={VERSION} ({detail[-300:]!r})", exc)
    return str(python)


def test_mlflow2_client_flow(mlflow2_python: str, server_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTEST"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_TRACKING_URI=server_url)
    proc = subprocess.run([mlflow2_python, str(FLOW), server_url, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert proc.stdout.strip().endswith("OK")
