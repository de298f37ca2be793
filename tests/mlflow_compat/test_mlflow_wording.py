"""Validation and error messages as ``mlflow server`` words them, on the MLflow API
only: types are checked before anything is looked up and nothing is converted
(``{"name": 123}`` is refused), required fields of a batch are required, and the
not-found and already-exists messages are MLflow's text.  The native API keeps its
own wording."""

from __future__ import annotations

import httpx
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
API = "/api/2.0/mlflow"


def _error(resp: httpx.Response, status: int = 400) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST",
                                  "RESOURCE_ALREADY_EXISTS")
    return str(body["message"])


@pytest.mark.parametrize("path,body,field", [
    ("/experiments/create", {"name": 123}, "name"),
    ("/registered-models/create", {"name": 7}, "name"),
    ("/runs/log-parameter", {"run_id": "r", "key": "k", "value": 5}, "value"),
    ("/runs/set-tag", {"run_id": "r", "key": 1, "value": "v"}, "key"),
    ("/runs/log-metric", {"run_id": 12, "key": "m", "value": 1.0, "timestamp": 1}, "run_id"),
    # A number field that is no number: MLflow's wording, the value as JSON.
    ("/runs/log-metric", {"run_id": "r", "key": "m", "value": "abc", "timestamp": 1}, "value"),
    ("/runs/log-metric", {"run_id": "r", "key": "m", "value": 1.0, "timestamp": "x"},
     "timestamp"),
])
def test_wrong_json_types_are_refused_before_any_lookup(http: httpx.Client, path: str,
                                                        body: dict, field: str) -> None:
    message = _error(http.post(API + path, json=body))
    value = body[field]
    shown = f'"{value}"' if isinstance(value, str) else value
    assert message.startswith(f"Invalid value {shown} for parameter '{field}' supplied")
    assert f"Value was of type '{type(value).__name__}'" in message


def test_required_fields_of_metrics_and_batches(http: httpx.Client, mc: MlflowClient) -> None:
    run = mc.create_run(mc.create_experiment("batches")).info.run_id
    message = _error(http.post(API + "/runs/log-batch", json={
        "run_id": run, "metrics": [{"key": "m", "value": 1.0, "timestamp": 5},
                                   {"key": "m", "value": 2.0}]}))
    assert message.startswith("Missing value for required parameter 'metrics[1].timestamp'.")
    assert mc.get_metric_history(run, "m") == []  # nothing of the batch was stored
    message = _error(http.post(API + "/runs/log-batch",
                               json={"run_id": run, "params": [{"value": "v"}]}))
    assert "'params[0].key'" in message
    message = _error(http.post(API + "/runs/log-metric",
                               json={"run_id": run, "key": "m", "value": 1.0}))
    assert message.startswith("Missing value for required parameter 'timestamp'.")
    message = _error(http.post(API + "/runs/log-metric", json={"key": "m", "value": 1.0,
                                                                "timestamp": 1}))
    assert "'run_id'" in message


def test_not_found_and_exists_messages_are_mlflows(http: httpx.Client, mc: MlflowClient) -> None:
    run = mc.create_run(mc.create_experiment("words")).info.run_id
    mc.create_registered_model("fraud")
    cases = [
        (http.get(API + "/registered-models/get", params={"name": "nope"}), 404,
         "Registered Model with name=nope not found"),
        (http.post(API + "/registered-models/create", json={"name": "fraud"}), 400,
         "Registered Model (name=fraud) already exists."),
        (http.get(API + "/model-versions/get", params={"name": "fraud", "version": "9"}), 404,
         "Model Version (name=fraud, version=9) not found"),
        (http.get(API + "/runs/get", params={"run_id": "0" * 32}), 404,
         f"Run with id={'0' * 32} not found"),
        (http.post(API + "/runs/delete-tag", json={"run_id": run, "key": "absent"}), 404,
         f"No tag with name: absent in run with id {run}"),
        (http.get(API + "/experiments/get-by-name", params={"experiment_name": "nope"}), 404,
         "Could not find experiment with name 'nope'"),
        (http.get(API + "/experiments/get", params={"experiment_id": "999"}), 404,
         "No Experiment with id=999 exists"),
        (http.post(API + "/experiments/create", json={"name": "words"}), 400,
         "Experiment(name=words) already exists."),
        (http.get(API + "/logged-models/m-0123456789abcdef0123456789abcdef"), 404,
         "Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found."),
    ]
    for resp, status, text in cases:
        assert _error(resp, status) == text
    with pytest.raises(MlflowException, match="Registered Model with name=nope not found"):
        mc.get_registered_model("nope")
    native = http.get("/api/v1/models/nope").json()
    assert native["message"] == "registered model 'nope' does not exist"
