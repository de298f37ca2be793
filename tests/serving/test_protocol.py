"""The scoring protocol over real HTTP: MLflow payloads, CSV, the Open Inference
Protocol, health, version and metrics, and clear 4xx answers to bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

import modelyard
from tests.serving.helpers import ServingServer


@pytest.fixture(scope="module")
def cancer():  # type: ignore[no-untyped-def]
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)


@pytest.fixture
def served(registry, cancer) -> Iterator[ServingServer]:  # type: ignore[no-untyped-def]
    X, model = cancer
    modelyard.log_model(model, name="fraud-detection", input_example=X[:5], client=registry)
    registry.set_alias("fraud-detection", "production", 1)
    with ServingServer(registry, target="models:/fraud-detection@production",
                       max_body_bytes=200_000) as s:
        yield s


def _split(X: pd.DataFrame) -> dict:
    return {"dataframe_split": {"columns": list(X.columns), "data": X.to_numpy().tolist()}}


def test_every_mlflow_payload_gives_the_same_answer(served, cancer):  # type: ignore[no-untyped-def]
    X, model = cancer
    rows = X[:7]
    expected = model.predict(rows).tolist()
    bodies = [
        _split(rows),
        {"dataframe_records": rows.to_dict(orient="records")},
        {"instances": rows.to_numpy().tolist()},
        {"inputs": rows.to_numpy().tolist()},
        {"inputs": {c: rows[c].tolist() for c in rows.columns}},
        {"instances": rows.to_dict(orient="records")},
    ]
    for body in bodies:
        r = served.http.post("/invocations", json=body)
        assert r.status_code == 200, (body.keys(), r.text)
        assert r.json() == {"predictions": expected}
        assert r.headers["x-modelyard-version"] == "fraud-detection/1"
        assert r.headers["x-modelyard-route"] == "production"
    r = served.http.post("/invocations", content=rows.to_csv(index=False),
                         headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json() == {"predictions": expected}


@pytest.mark.parametrize("body, status, needle", [
    (b"{not json", 400, "malformed JSON"),
    (b"", 400, "empty"),
    (b"[1, 2]", 400, "one of the keys"),
    (b'{"foo": 1}', 400, "one of the keys"),
    (b'{"dataframe_split": {"columns": ["mean radius"], "data": [[1.0]]}}', 400,
     "missing column 'mean texture'"),
    (b'{"instances": [[1.0, 2.0]]}', 400, "row 0 has 2 values; expected 30"),
    (b'{"instances": []}', 400, "no rows"),
    (b'{"dataframe_split": {"columns": [], "data": 3}}', 400, "list of rows"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, "", id="deeply-nested-json"),
    pytest.param(b'{"instances": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}", 400, "",
                 id="deeply-nested-instances"),
])
def test_bad_requests_get_a_clear_400_and_the_server_keeps_serving(served, cancer, body,
                                                                   status, needle):  # type: ignore[no-untyped-def]
    X, model = cancer
    r = served.http.post("/invocations", content=body,
                         headers={"content-type": "application/json"})
    assert r.status_code == status
    err = r.json()
    assert err["error_code"] == "INVALID_PARAMETER_VALUE" and needle in err["message"]
    assert "Traceback" not in r.text
    ok = served.http.post("/invocations", json=_split(X[:2]))
    assert ok.status_code == 200


def test_column_problems_are_named(served, cancer):  # type: ignore[no-untyped-def]
    X, _ = cancer
    body = _split(X[:3])
    body["dataframe_split"]["data"][1][4] = "oops"
    r = served.http.post("/invocations", json=body)
    assert r.status_code == 400 and "'mean smoothness'" in r.json()["message"] \
        and "row 1" in r.json()["message"]
    body = _split(X[:3])
    body["dataframe_split"]["data"][2][0] = None
    r = served.http.post("/invocations", json=body)
    assert r.status_code == 400 and "'mean radius' has a missing value" in r.json()["message"]
    nan = b'{"instances": [[' + b", ".join([b"NaN"] + [b"1.0"] * 29) + b"]]}"
    r = served.http.post("/invocations", content=nan,
                         headers={"content-type": "application/json"})
    assert r.status_code == 400 and "missing value" in r.json()["message"]
    cols = list(X.columns)
    cols[3] = "surprise"
    r = served.http.post("/invocations", json={"dataframe_split": {
        "columns": cols, "data": X[:1].to_numpy().tolist()}})
    assert r.status_code == 400 and "unknown column 'surprise'" in r.json()["message"]


def test_huge_payloads_and_wrong_types_are_refused(served, cancer):  # type: ignore[no-untyped-def]
    X, _ = cancer
    big = _split(pd.concat([X] * 3))
    r = served.http.post("/invocations", json=big)
    assert r.status_code == 413 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    r = served.http.post("/invocations", content=b"<xml/>",
                         headers={"content-type": "application/xml"})
    assert r.status_code == 400 and "content type" in r.json()["message"]
    r = served.http.get("/invocations")
    assert r.status_code == 405
    r = served.http.get("/nope")
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert served.http.post("/invocations", json=_split(X[:1])).status_code == 200


def test_open_inference_protocol(served, cancer):  # type: ignore[no-untyped-def]
    X, model = cancer
    h = served.http
    assert h.get("/v2/health/live").json() == {"live": True}
    assert h.get("/v2/health/ready").json() == {"ready": True}
    assert h.get("/v2").json()["name"] == "modelyard"
    meta = h.get("/v2/models/fraud-detection").json()
    assert meta["name"] == "fraud-detection" and meta["versions"] == ["1"]
    assert meta["inputs"][0] == {"name": "mean radius", "datatype": "FP64", "shape": [-1]}
    rows = X[:4].to_numpy()
    expected = model.predict(X[:4]).tolist()
    matrix = {"id": "req-1", "inputs": [{"name": "input-0", "shape": [4, 30],
                                         "datatype": "FP64", "data": rows.ravel().tolist()}]}
    r = h.post("/v2/models/fraud-detection/infer", json=matrix)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == "req-1" and body["model_name"] == "fraud-detection"
    assert body["model_version"] == "1"
    assert body["outputs"][0]["data"] == expected and body["outputs"][0]["shape"] == [4]
    per_column = {"inputs": [{"name": c, "shape": [4], "datatype": "FP64",
                              "data": X[c][:4].tolist()} for c in X.columns]}
    assert h.post("/v2/models/fraud-detection/infer",
                  json=per_column).json()["outputs"][0]["data"] == expected
    r = h.post("/v2/models/fraud-detection/versions/1/infer", json=matrix)
    assert r.status_code == 200
    assert h.post("/v2/models/fraud-detection/versions/9/infer", json=matrix).status_code == 404
    assert h.post("/v2/models/other/infer", json=matrix).status_code == 404
    bad = {"inputs": [{"name": "x", "shape": [4, 29], "datatype": "FP64",
                       "data": rows[:, :29].ravel().tolist()}]}
    r = h.post("/v2/models/fraud-detection/infer", json=bad)
    assert r.status_code == 400 and "[4, 29]" in r.json()["message"]
    bad = {"inputs": [{"name": "x", "shape": [4, 30], "datatype": "FP64", "data": [1.0]}]}
    r = h.post("/v2/models/fraud-detection/infer", json=bad)
    assert r.status_code == 400 and "needs 120 values, got 1" in r.json()["message"]


def test_health_version_and_metrics(served, cancer):  # type: ignore[no-untyped-def]
    X, _ = cancer
    h = served.http
    assert h.get("/ping").status_code == 200 and h.get("/health").json() == {"status": "ok"}
    for _ in range(3):
        h.post("/invocations", json=_split(X[:2]))
    h.post("/invocations", content=b"{bad", headers={"content-type": "application/json"})
    v = h.get("/version").json()
    route = v["routes"][0]
    assert route["route"] == "production" and route["model"] == "fraud-detection"
    assert route["version"] == "1" and route["following"] and route["since"]
    text = h.get("/metrics").text
    assert "# TYPE modelyard_requests_total counter" in text
    assert served.metric('modelyard_requests_total{endpoint="invocations",route="production",'
                         'version="fraud-detection/1",code="200"}') == 3
    assert served.metric('modelyard_requests_total{endpoint="invocations",route="production",'
                         'version="fraud-detection/1",code="400"}') == 1
    assert served.metric('modelyard_request_duration_seconds_count{endpoint="invocations"}') == 4
    assert served.metric('modelyard_model_version_served{route="production",'
                         'model="fraud-detection",version="1"}') == 1


def test_serving_a_model_folder(tmp_path: Path, cancer):  # type: ignore[no-untyped-def]
    X, model = cancer
    modelyard.save_model(model, tmp_path / "fraud", input_example=X[:2])
    with ServingServer(None, target=str(tmp_path / "fraud")) as s:
        r = s.http.post("/invocations", json=_split(X[:3]))
        assert r.json() == {"predictions": model.predict(X[:3]).tolist()}
        assert r.headers["x-modelyard-version"] == "fraud/local"
        np.testing.assert_array_equal(
            s.http.post("/v2/models/fraud/infer", json={"inputs": [{
                "name": "x", "shape": [3, 30], "datatype": "FP32",
                "data": X[:3].to_numpy().ravel().tolist()}]}).json()["outputs"][0]["data"],
            model.predict(X[:3]))


def test_mixed_column_types_through_a_pipeline(registry):  # type: ignore[no-untyped-def]
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"amount": rng.normal(size=60), "count": rng.integers(0, 5, 60),
                      "country": rng.choice(["fr", "de", "us"], 60)})
    y = (X["amount"] > 0).astype(int)
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["country"]),
                                remainder="passthrough"),
        LogisticRegression()).fit(X, y)
    v = modelyard.log_model(pipe, name="mixed", input_example=X[:3], client=registry)
    types = {c["name"]: c["type"] for c in v.signature["inputs"]["columns"]}
    assert types == {"amount": "double", "count": "long", "country": "string"}
    with ServingServer(registry, target="mixed/1") as s:
        r = s.http.post("/invocations", json={"dataframe_records": X[:5].to_dict("records")})
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": pipe.predict(X[:5]).tolist()}
        bad = X[:2].to_dict("records")
        bad[1]["country"] = 7
        r = s.http.post("/invocations", json={"dataframe_records": bad})
        assert r.status_code == 400 and "column 'country' takes strings; row 1" in r.text
        bad = X[:2].to_dict("records")
        bad[0]["count"] = 1.5
        r = s.http.post("/invocations", json={"dataframe_records": bad})
        assert r.status_code == 400 and "column 'count' takes integers" in r.text


def test_foreign_host_header_is_refused(served):  # type: ignore[no-untyped-def]
    """Unauthenticated on loopback, the scoring server refuses DNS-rebinding requests."""
    resp = served.http.get("/ping", headers={"Host": "attacker.example"})
    assert resp.status_code == 403 and resp.json()["error_code"] == "PERMISSION_DENIED"
    assert served.http.get("/ping").status_code == 200
