"""Other mlflow clients against modelyard, each in its own venv: MLflow 2 code (stages,
transition_model_version_stage, get_latest_versions, models logged as run
artifacts) with mlflow==2.19.0, and the mlflow-skinny client of the installed MLflow
version alone (no server or flavor dependencies).

The venvs are built once per machine by ``tests.venvs``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import mlflow
import pytest

from tests import venvs

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

HERE = Path(__file__).parent
CLIENTS = {
    "mlflow-2.19.0": (["mlflow==2.19.0", "scikit-learn"], "mlflow2_flow.py"),
    f"mlflow-skinny-{mlflow.__version__}": ([f"mlflow-skinny=={mlflow.__version__}"],
                                            "skinny_flow.py"),
}


@pytest.fixture(scope="session", params=sorted(CLIENTS))
def client_venv(request: pytest.FixtureRequest) -> tuple[str, Path]:
    packages, script = CLIENTS[request.param]
    return str(venvs.client_venv(request.param, packages)), HERE / script


def test_client_flow(client_venv: tuple[str, Path], server_url: str, tmp_path: Path) -> None:
    python, script = client_venv
    env = venvs.client_env(MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_TRACKING_URI=server_url)
    proc = subprocess.run([python, str(script), server_url, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert proc.stdout.strip().endswith("OK")
