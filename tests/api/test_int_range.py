"""Integers at or above 2**63 (or below -2**63) answer 400 INVALID_PARAMETER_VALUE
naming the field, on both APIs and every database, never a 500 from an overflow."""

from __future__ import annotations

import pytest

BIG = 2**63
NEG = -(2**63) - 1


def _setup(http, model_dir):
    from modelyard.client.http import HttpClient

    with HttpClient(str(http.base_url).rstrip("/")) as c:
        c.register("m", model_dir)
    run = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()
    return run["run"]["info"]["run_id"]


def _native(n):
    v1 = "/api/v1"
    return [
        ("version in path", "GET", f"{v1}/models/m/versions/{n}", {}, "version"),
        ("version files", "GET", f"{v1}/models/m/versions/{n}/files", {}, "version"),
        ("restore version", "POST", f"{v1}/models/m/versions/{n}/restore",
         {"json": {}}, "version"),
        ("alias target", "PUT", f"{v1}/models/m/aliases/prod", {"json": {"version": n}},
         "version"),
        ("parent version", "POST", f"{v1}/models/m/versions",
         {"json": {"files": [], "parents": [{"model": "m", "version": n}]}}, "version"),
        ("file size", "POST", f"{v1}/models/m/versions",
         {"json": {"files": [{"path": "a", "size": n, "sha256": "0" * 64}]}}, "size"),
        ("versions filter", "GET", f"{v1}/versions",
         {"params": {"filter": f"version_number > {n}"}}, "filter value"),
        ("models filter", "GET", f"{v1}/models",
         {"params": {"filter": f"creation_timestamp > {n}"}}, "filter value"),
        ("page size", "GET", f"{v1}/models", {"params": {"max_results": n}}, "max_results"),
        ("events after", "GET", f"{v1}/events", {"params": {"after_id": n}}, "after_id"),
        ("run start", "POST", f"{v1}/runs", {"json": {"experiment_id": "0", "start_time": n}},
         "start_time"),
        ("run experiment", "POST", f"{v1}/runs", {"json": {"experiment_id": str(n)}},
         "experiment_id"),
        ("run end", "PATCH", f"{v1}/runs/{{run}}", {"json": {"end_time": n}}, "end_time"),
        ("metric step", "POST", f"{v1}/runs/{{run}}/metrics",
         {"json": {"key": "k", "value": 1.0, "step": n}}, "step"),
        ("metric timestamp", "POST", f"{v1}/runs/{{run}}/metrics",
         {"json": {"key": "k", "value": 1.0, "timestamp": n}}, "timestamp"),
        ("batch step", "POST", f"{v1}/runs/{{run}}/batch",
         {"json": {"metrics": [{"key": "k", "value": 1.0, "step": n, "timestamp": 1}]}},
         "step"),
        ("batch timestamp", "POST", f"{v1}/runs/{{run}}/batch",
         {"json": {"metrics": [{"key": "k", "value": 1.0, "step": 0, "timestamp": n}]}},
         "timestamp"),
        ("runs search page", "POST", f"{v1}/runs/search",
         {"json": {"experiment_ids": ["0"], "max_results": n}}, "max_results"),
        ("runs search filter", "POST", f"{v1}/runs/search",
         {"json": {"experiment_ids": ["0"], "filter": f"attributes.start_time > {n}"}},
         "filter value"),
        ("history page", "GET", f"{v1}/runs/{{run}}/metrics/k/history",
         {"params": {"max_results": n}}, "max_results"),
        ("experiment id", "GET", f"{v1}/experiments/{n}", {}, "experiment"),
        ("deployment version", "POST", f"{v1}/deployments",
         {"json": {"model": "m", "version": n, "endpoint": "http://e"}}, "version"),
        ("gc grace", "POST", f"{v1}/admin/gc", {"json": {"grace_seconds": n, "dry_run": True}},
         "grace_seconds"),
    ]


def _mlflow(n):
    ml = "/api/2.0/mlflow"
    return [
        ("get version", "GET", f"{ml}/model-versions/get",
         {"params": {"name": "m", "version": str(n)}}, "version"),
        ("download uri", "GET", f"{ml}/model-versions/get-download-uri",
         {"params": {"name": "m", "version": str(n)}}, "version"),
        ("set alias", "POST", f"{ml}/registered-models/alias",
         {"json": {"name": "m", "alias": "prod", "version": str(n)}}, "version"),
        ("version tag", "POST", f"{ml}/model-versions/set-tag",
         {"json": {"name": "m", "version": str(n), "key": "k", "value": "v"}}, "version"),
        ("stage", "POST", f"{ml}/model-versions/transition-stage",
         {"json": {"name": "m", "version": str(n), "stage": "Staging"}}, "version"),
        ("versions search page", "GET", f"{ml}/model-versions/search",
         {"params": {"max_results": str(n)}}, "max_results"),
        ("versions search filter", "GET", f"{ml}/model-versions/search",
         {"params": {"filter": f"version_number = {n}"}}, "filter value"),
        ("models search page", "GET", f"{ml}/registered-models/search",
         {"params": {"max_results": str(n)}}, "max_results"),
        ("experiment get", "GET", f"{ml}/experiments/get",
         {"params": {"experiment_id": str(n)}}, "experiment"),
        ("experiments search page", "POST", f"{ml}/experiments/search",
         {"json": {"max_results": n}}, "max_results"),
        ("run create start", "POST", f"{ml}/runs/create",
         {"json": {"experiment_id": "0", "start_time": n}}, "start_time"),
        ("run create experiment", "POST", f"{ml}/runs/create",
         {"json": {"experiment_id": str(n)}}, "experiment"),
        ("run update end", "POST", f"{ml}/runs/update",
         {"json": {"run_id": "{run}", "end_time": n}}, "end_time"),
        ("log metric step", "POST", f"{ml}/runs/log-metric",
         {"json": {"run_id": "{run}", "key": "k", "value": 1.0, "timestamp": 1, "step": n}},
         "step"),
        ("log metric timestamp", "POST", f"{ml}/runs/log-metric",
         {"json": {"run_id": "{run}", "key": "k", "value": 1.0, "timestamp": n}}, "timestamp"),
        ("log batch step", "POST", f"{ml}/runs/log-batch",
         {"json": {"run_id": "{run}",
                   "metrics": [{"key": "k", "value": 1.0, "timestamp": 1, "step": n}]}},
         "step"),
        ("runs search page", "POST", f"{ml}/runs/search",
         {"json": {"experiment_ids": ["0"], "max_results": n}}, "max_results"),
        ("runs search experiment", "POST", f"{ml}/runs/search",
         {"json": {"experiment_ids": [str(n)]}}, "experiment"),
        ("runs search filter", "POST", f"{ml}/runs/search",
         {"json": {"experiment_ids": ["0"], "filter": f"attributes.start_time > {n}"}},
         "filter value"),
        ("metric history page", "GET", f"{ml}/metrics/get-history",
         {"params": {"run_id": "{run}", "metric_key": "k", "max_results": str(n)}},
         "max_results"),
        ("artifact version", "GET",
         f"/api/2.0/mlflow-artifacts/artifacts/model-versions/m/{n}/MLmodel", {},
         "version"),
    ]


def _fill(value, run):
    if isinstance(value, str):
        return value.replace("{run}", run)
    if isinstance(value, list):
        return [_fill(v, run) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, run) for k, v in value.items()}
    return value


@pytest.mark.parametrize("api", ["native", "mlflow"])
def test_out_of_range_integers(http, model_dir, api):
    run = _setup(http, model_dir)
    cases = (_native if api == "native" else _mlflow)
    failures = []
    for n in (BIG, NEG, 10**30):
        for label, method, path, kwargs, field in cases(n):
            resp = http.request(method, _fill(path, run), **_fill(kwargs, run))
            body = resp.json() if resp.headers.get("content-type", "").startswith(
                "application/json") else {}
            if n < 0:  # "-9..." in a path or a string may be a name: refused, or not found
                ok = resp.status_code in (400, 404) and body.get("error_code") in (
                    "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
            else:
                ok = (resp.status_code == 400
                      and body.get("error_code") == "INVALID_PARAMETER_VALUE"
                      and field in body.get("message", "").lower())
            if not ok:
                failures.append((n, label, resp.status_code, resp.text[:200]))
    assert not failures, "\n".join(map(str, failures))
    # and nothing was half-stored: the model still has its one version, the run no metric
    assert http.get("/api/v1/models/m").json()["model"]["latest_version"] == 1
    assert http.get(f"/api/v1/runs/{run}").json()["run"]["metrics"] == {}
