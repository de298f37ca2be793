"""The real mlflow client against a protected server, with the variables it already
knows: MLFLOW_TRACKING_TOKEN (bearer) and MLFLOW_TRACKING_USERNAME/PASSWORD (Basic,
with a password or a token as the password)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

mlflow = pytest.importorskip("mlflow")

from modelyard.client.http import HttpClient  # noqa: E402

_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "MLFLOW_TRACKING_TOKEN",
         "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_EXPERIMENT_ID",
         "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")


@pytest.fixture
def protected(server_url: str, admin_token: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with HttpClient(server_url, token=admin_token) as root:
        root.create_user("ml", password="ml-password-1")
        root.grant_role("ml", "maintainer", project="default")
        token = root.create_token("mlflow", user="ml").secret
    assert token
    yield {"url": server_url, "token": token}
    mlflow.set_tracking_uri(None)


def _flow(url: str, name: str) -> None:
    c = mlflow.MlflowClient(url)
    exp = c.create_experiment(name)
    run = c.create_run(exp)
    c.log_metric(run.info.run_id, "auc", 0.9)
    c.create_registered_model(name)
    c.create_model_version(name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    c.set_registered_model_alias(name, "champion", "1")
    assert c.get_model_version_by_alias(name, "champion").version == "1"


def test_mlflow_tracking_token(protected: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", protected["token"])
    _flow(protected["url"], "with-token")


@pytest.mark.parametrize("secret", ["password", "token"])
def test_mlflow_username_password(protected: dict[str, str], monkeypatch: pytest.MonkeyPatch,
                                  secret: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ml")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD",
                       "ml-password-1" if secret == "password" else protected["token"])
    _flow(protected["url"], f"basic-{secret}")


def test_mlflow_without_credentials_is_refused(protected: dict[str, str]) -> None:
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as err:
        mlflow.MlflowClient(protected["url"]).search_registered_models()
    assert "UNAUTHENTICATED" in str(err.value) or "401" in str(err.value)
