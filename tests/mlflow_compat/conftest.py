"""The real mlflow client against a live modelyard server on loopback.

MLflow keeps global state (tracking URI, active experiment and runs); each test gets
it reset.  These tests run on SQLite; ``test_smoke.py`` runs one flow on every
server database.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

mlflow = pytest.importorskip("mlflow")
# mlflow.pyfunc warns while it is imported (type hints it cannot check); import it
# once here, where the suite's warnings-are-errors rule does not apply yet.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow.pyfunc  # noqa: F401
    import mlflow.sklearn  # noqa: F401


def _reset_mlflow() -> None:
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run() is not None:
        mlflow.end_run()
    fluent._active_experiment_id = None
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)


@pytest.fixture
def mlflow_url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for var in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_ID",
                "MLFLOW_EXPERIMENT_NAME", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
                "MLFLOW_TRACKING_PASSWORD", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    _reset_mlflow()
    mlflow.set_tracking_uri(server_url)
    yield server_url
    _reset_mlflow()


@pytest.fixture
def mc(mlflow_url: str):  # type: ignore[no-untyped-def]
    """An MlflowClient on the live server."""
    return mlflow.MlflowClient(mlflow_url)


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The suite's settings with room for artifacts of hundreds of MiB."""
    import dataclasses

    return dataclasses.replace(settings, max_upload_size=1 << 30)
