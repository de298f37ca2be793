"""Other mlflow clients against modelyard, each in its own venv: MLflow 2 code (stages,
transition_model_version_stage, get_latest_versions, models logged as run
artifacts) with mlflow==2.19.0, and the mlflow-skinny client of the installed MLflow
version alone (no server or flavor dependencies).

The venvs are built once per machine (pip caches the wheels) under
``$MODELYARD_CLIENT_VENVS`` or ``~/.cache/modelyard``; when one cannot be built its
test skips with the reason, unless MODELYARD_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

from tests.services import unavailable

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

HERE = Path(__file__).parent
CLIENTS = {
    "mlflow-2.19.0": (["mlflow==2.19.0", "scikit-learn"], "mlflow2_flow.py"),
    f"mlflow-skinny-{mlflow.__version__}": ([f"mlflow-skinny=={mlflow.__version__}"],
                                            "skinny_flow.py"),
}


def _build(name: str, packages: list[str]) -> Path:
    root = Path(os.environ.get("MODELYARD_CLIENT_VENVS")
                or Path.home() / ".cache" / "modelyard")
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
                subprocess.run([str(python), "-m", "pip", "install", "-q", *packages],
                               check=True, capture_output=True, timeout=900)
                ready.touch()
            except (subprocess.SubprocessError, OSError) as exc:
                detail = getattr(exc, "stderr", b"") or b""
                unavailable(f"a venv with {' '.join(packages)} ({detail[-300:]!r})", exc)
    return python


@pytest.fixture(scope="session", params=sorted(CLIENTS))
def client_venv(request: pytest.FixtureRequest) -> tuple[str, Path]:
    packages, script = CLIENTS[request.param]
    return str(_build(request.param, packages)), HERE / script


def test_client_flow(client_venv: tuple[str, Path], server_url: str, tmp_path: Path) -> None:
    python, script = client_venv
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTEST"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_TRACKING_URI=server_url)
    proc = subprocess.run([python, str(script), server_url, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert proc.stdout.strip().endswith("OK")
