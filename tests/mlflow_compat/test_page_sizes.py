"""``max_results`` on the MLflow API: the bounds ``mlflow server`` sets per endpoint,
refused in its words (each endpoint has its own), and a page size MLflow takes beyond
modelyard's page limit is taken too (the page is cut, with a token).  Below 1 is
refused everywhere, where two of MLflow's searches answer 200."""

from __future__ import annotations

import httpx
import pytest
from mlflow import MlflowClient

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
API = "/api/2.0/mlflow"
DOCS = " See the API docs for more information about request parameters."
STORE_LOW = "Invalid value {} for parameter 'max_results' supplied. It must be a positive integer"
REGISTRY_LOW = "Invalid value for max_results. It must be a positive integer, but got {}"


def _message(resp: httpx.Response) -> str:
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE" and body["request_id"]
    return str(body["message"])


def _call(http: httpx.Client, method: str, path: str, fields: dict[str, object],
          n: object) -> httpx.Response:
    args = {**fields, "max_results": n}
    if method == "GET":
        return http.get(API + path, params=args)  # type: ignore[arg-type]
    return http.post(API + path, json=args)


@pytest.fixture
def ids(mc: MlflowClient) -> dict[str, str]:
    exp = mc.create_experiment("pages")
    run = mc.create_run(exp)
    mc.log_metric(run.info.run_id, "m", 1.0)
    mc.create_registered_model("paged")
    return {"E": exp, "R": run.info.run_id}


ENDPOINTS = {  # endpoint: method, path, fields ({E}, {R}: the fixture's ids)
    "experiments": ("POST", "/experiments/search", {}),
    "experiments by GET": ("GET", "/experiments/search", {}),
    "runs": ("POST", "/runs/search", {"experiment_ids": ["{E}"]}),
    "models": ("GET", "/registered-models/search", {}),
    "versions": ("GET", "/model-versions/search", {}),
    "history": ("GET", "/metrics/get-history", {"run_id": "{R}", "metric_key": "m"}),
    "logged models": ("POST", "/logged-models/search", {"experiment_ids": ["{E}"]}),
    "interval": ("GET", "/metrics/get-history-bulk-interval",
                 {"run_ids": "{R}", "metric_key": "m"}),
}


def _fields(fields: dict[str, object], ids: dict[str, str]) -> dict[str, object]:
    def fill(v: object) -> object:
        if isinstance(v, list):
            return [fill(x) for x in v]
        return ids.get(v.strip("{}"), v) if isinstance(v, str) and v.startswith("{") else v
    return {k: fill(v) for k, v in fields.items()}


@pytest.mark.parametrize("endpoint,n,text", [
    ("experiments", 0, STORE_LOW.format(0)),
    ("experiments by GET", -1, STORE_LOW.format(-1)),
    ("experiments", 50_001, "Invalid value 50001 for parameter 'max_results' supplied. "
                            "It must be at most 50000"),
    ("runs", 0, STORE_LOW.format(0)),
    # The handler's bound: a wrong value, quoted as sent (JSON here, a query string below).
    ("runs", 50_001, "Invalid value 50001 for parameter 'max_results' supplied:  Hint: "
                     "Value was of type 'int'." + DOCS),
    ("models", 1001, "Invalid value \"1001\" for parameter 'max_results' supplied:  Hint: "
                     "Value was of type 'str'." + DOCS),
    ("models", 0, REGISTRY_LOW.format(0)),
    ("versions", -1, REGISTRY_LOW.format(-1)),
    ("versions", 200_001, "Invalid value \"200001\" for parameter 'max_results' supplied:  "
                          "Hint: Value was of type 'str'." + DOCS),
    ("history", 0, STORE_LOW.format(0) + "."),
    ("logged models", -1, REGISTRY_LOW.format(-1)),
    ("interval", 0, "max_results must be between 1 and 2500." + DOCS),
    ("interval", 2501, "max_results must be between 1 and 2500." + DOCS),
])
def test_out_of_bounds_in_mlflows_words(http: httpx.Client, ids: dict[str, str],
                                        endpoint: str, n: int, text: str) -> None:
    method, path, fields = ENDPOINTS[endpoint]
    assert _message(_call(http, method, path, _fields(fields, ids), n)) == text


@pytest.mark.parametrize("endpoint,n", [
    ("versions", 150_000), ("logged models", 50_000), ("history", 500_000),
    ("models", 1000), ("runs", 50_000), ("experiments", 50_000), ("interval", 2500),
])
def test_what_mlflow_takes_is_taken(http: httpx.Client, ids: dict[str, str], endpoint: str,
                                    n: int) -> None:
    method, path, fields = ENDPOINTS[endpoint]
    resp = _call(http, method, path, _fields(fields, ids), n)
    assert resp.status_code == 200, resp.text


def test_the_client_pages_as_before(mc: MlflowClient, ids: dict[str, str]) -> None:
    for i in range(3):
        mc.create_model_version("paged", f"runs:/{ids['R']}/m{i}", run_id=ids["R"])
    assert len(mc.search_model_versions("name='paged'", max_results=150_000)) == 3
    first = mc.search_model_versions("name='paged'", max_results=2)
    assert len(first) == 2 and first.token
    rest = mc.search_model_versions("name='paged'", max_results=2, page_token=first.token)
    assert len(rest) == 1 and not rest.token
    assert len(mc.get_metric_history(ids["R"], "m")) == 1
