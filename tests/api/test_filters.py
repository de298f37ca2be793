"""Filters are bounded (length, nesting, size) and numbers are ASCII digits only, on
both APIs: a clear 400, never a RecursionError or a failed int() as a 500."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'meta.db'}"


def _bad(resp, *words):
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    for word in words:
        assert word in body["message"], body["message"]


def _search_routes(http, flt):
    yield http.get("/api/v1/models", params={"filter": flt})
    yield http.get("/api/v1/versions", params={"filter": flt})
    yield http.post("/api/v1/runs/search", json={"experiment_ids": ["0"], "filter": flt})
    yield http.get("/api/2.0/mlflow/registered-models/search", params={"filter": flt})
    yield http.get("/api/2.0/mlflow/model-versions/search", params={"filter": flt})
    yield http.post("/api/2.0/mlflow/runs/search", json={"experiment_ids": ["0"], "filter": flt})


def test_deeply_nested_filter(http):
    flt = "(" * 400 + "name = 'a'" + ")" * 400
    for resp in _search_routes(http, flt):
        _bad(resp, "nests parentheses deeper than")


def test_nesting_within_the_bound_works(http):
    http.post("/api/v1/models", json={"name": "a"})
    flt = "(" * 20 + "name = 'a'" + ")" * 20
    assert [m["name"] for m in http.get("/api/v1/models", params={"filter": flt}).json()[
        "models"]] == ["a"]


def test_long_and_wide_filters(http):
    for resp in _search_routes(http, "name = '" + "x" * 20_000 + "'"):
        _bad(resp, "longer than")
    wide = " OR ".join(["tags.a='x'"] * 600)
    for resp in _search_routes(http, wide):
        _bad(resp, "more than")


@pytest.mark.parametrize("number", ["\u0663", "\u00b2", "\uff11", "1\u0663"])
def test_unicode_digits_are_not_numbers(http, number):
    http.post("/api/v1/models", json={"name": "m"})
    resp = http.get("/api/v1/versions", params={"filter": f"version_number > {number}"})
    assert resp.status_code == 400, resp.text
    resp = http.get("/api/v1/versions", params={"filter": f"version_number > '{number}'"})
    assert resp.status_code == 400, resp.text


@pytest.mark.parametrize("path", ["/api/v1/models/%C2%B0/versions/%C2%B2",
                                  "/api/v1/models/m/versions/%C2%B2",
                                  "/api/v1/models/m/versions/%D9%A3/files",
                                  "/api/v1/experiments/%C2%B2",
                                  "/api/2.0/mlflow/model-versions/get?name=m&version=%C2%B2",
                                  "/api/2.0/mlflow/experiments/get?experiment_id=%C2%B2",
                                  "/api/2.0/mlflow-artifacts/artifacts/model-versions/m/"
                                  "%C2%B2/MLmodel"])
def test_unicode_digits_in_paths(http, path):
    http.post("/api/v1/models", json={"name": "m"})
    resp = http.get(path)
    assert resp.status_code in (400, 404), resp.text
    assert resp.json()["error_code"] in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST")
