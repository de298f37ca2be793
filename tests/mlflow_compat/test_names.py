"""Look-alike names through the real mlflow client: registered models and experiments."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_mlflow_client_gets_lookalikes_refused(mlflow_url: str, mc: MlflowClient) -> None:
    mc.create_registered_model("fraud-model")
    for lookalike in ("\uff46raud-model", "fraud\u2010model", "fraud-model "):
        with pytest.raises(MlflowException) as err:
            mc.create_registered_model(lookalike)
        assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "'fraud-model'" in str(err.value) or "white space" in str(err.value)
    with pytest.raises(MlflowException, match="fraud-model"):
        mc.create_registered_model("fraud\u2010model")
    mc.create_registered_model("FRAUD-MODEL")  # case stays distinct
    assert sorted(m.name for m in mc.search_registered_models()) == ["FRAUD-MODEL",
                                                                     "fraud-model"]
    mc.create_registered_model("other")
    with pytest.raises(MlflowException, match="fraud-model"):
        mc.rename_registered_model("other", "fraud-m\u043edel")
    mlflow.set_experiment("churn")
    with pytest.raises(MlflowException, match="'churn'"):
        mc.create_experiment("\u0441hurn")


@pytest.mark.parametrize("name", ["sp ace", "100%", "a%41", "mod\u00e8le"])
def test_a_name_that_needs_encoding_downloads(mlflow_url: str, mc: MlflowClient,
                                              tmp_path, name: str) -> None:  # type: ignore[no-untyped-def]
    """``get-download-uri`` quotes the name; the client sends that path back in a
    listing's query and in each file's URL, and both find the version."""
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("w")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "model"), "model")
    mc.create_registered_model(name)
    mc.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
    got = mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path / "o"))
    assert (tmp_path / "o" / "weights.txt").read_text() == "w" or any(
        p.name == "weights.txt" for p in (tmp_path / "o").rglob("*")), got
