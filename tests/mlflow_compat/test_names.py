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
