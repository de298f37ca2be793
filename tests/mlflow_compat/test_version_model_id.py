"""A version registered through the mlflow client from a logged model answers that
logged model's id in every model-version response.

The mlflow client (3.x) parses model versions without reading ``model_id`` (its
``ModelVersion.from_proto`` leaves it out), so ``register_model(...).model_id`` is
None against any server, MLflow's own included; the field is checked on the wire."""

from __future__ import annotations

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


class AddOne(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input + 1


def test_versions_from_a_logged_model_carry_its_id(mlflow_url: str, mc: MlflowClient) -> None:
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="adder", python_model=AddOne(),
                                       pip_requirements=["pandas"])
    registered = mlflow.register_model(f"models:/{info.model_id}", "adder")
    assert mc.get_model_version("adder", registered.version).run_id == run.info.run_id
    # the client links the logged model to the version it made
    assert '"adder"' in mc.get_logged_model(info.model_id).tags["mlflow.modelVersions"]
    with mlflow.start_run() as plain:
        mlflow.log_text("x", "model/file.txt")
    mc.create_registered_model("plain")
    mc.create_model_version("plain", f"runs:/{plain.info.run_id}/model", plain.info.run_id)

    api = f"{mlflow_url}/api/2.0/mlflow"
    with httpx.Client() as http:
        got = http.get(f"{api}/model-versions/get",
                       params={"name": "adder", "version": registered.version}).json()
        assert got["model_version"]["model_id"] == info.model_id
        found = http.get(f"{api}/model-versions/search",
                         params={"filter": "name = 'adder'"}).json()["model_versions"]
        assert [v["model_id"] for v in found] == [info.model_id]
        # the id also when the client names the logged model beside another source form
        made = http.post(f"{api}/model-versions/create", json={
            "name": "adder", "source": f"models:/{info.model_id}/",
            "model_id": info.model_id}).json()["model_version"]
        assert made["model_id"] == info.model_id
        stored = mc.get_logged_model(info.model_id).artifact_location
        made = http.post(f"{api}/model-versions/create", json={
            "name": "adder", "source": stored, "model_id": info.model_id}).json()
        assert made["model_version"]["model_id"] == info.model_id, (stored, made)
        other = http.get(f"{api}/model-versions/get",
                         params={"name": "plain", "version": "1"}).json()["model_version"]
        assert "model_id" not in other
