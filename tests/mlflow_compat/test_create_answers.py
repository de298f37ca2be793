"""A create answers the entity a read of it gives, field for field and in the same
order: the server builds these answers from what it wrote instead of reading the rows
back, so each is compared with the read on every database."""

from __future__ import annotations

import httpx

P = "/api/2.0/mlflow"
# Keys whose code-point order differs from their case-insensitive order.
TAGS = [{"key": "k", "value": "v"}, {"key": "B", "value": "1"}, {"key": "a", "value": "2"}]


def _ok(r: httpx.Response) -> dict:  # type: ignore[type-arg]
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def test_create_run_answers_what_get_run_reads(http: httpx.Client) -> None:
    exp = _ok(http.post(P + "/experiments/create", json={"name": "answers"}))["experiment_id"]
    created = _ok(http.post(P + "/runs/create", json={
        "experiment_id": exp, "start_time": 1234, "user_id": "ana", "tags": [
            *TAGS, {"key": "mlflow.source.name", "value": "train.py"},
            # A parent of another tracking server: kept as a reference.
            {"key": "mlflow.parentRunId", "value": "f" * 32}]}))["run"]
    run_id = created["info"]["run_id"]
    read = _ok(http.get(P + "/runs/get", params={"run_id": run_id}))["run"]
    assert created["info"] == read["info"]
    assert created["data"] == read["data"]
    assert [t["key"] for t in created["data"]["tags"]] == [
        "B", "a", "k", "mlflow.parentRunId", "mlflow.runName", "mlflow.source.name"]
    assert created["info"]["start_time"] == 1234 and created["info"]["user_id"] == "ana"
    # With a name given and no tags, too.
    named = _ok(http.post(P + "/runs/create", json={"experiment_id": exp,
                                                   "run_name": "second"}))["run"]
    again = _ok(http.get(P + "/runs/get", params={"run_id": named["info"]["run_id"]}))["run"]
    assert (named["info"], named["data"]) == (again["info"], again["data"])
    assert named["info"]["run_name"] == "second"


def test_create_model_version_answers_what_get_reads(http: httpx.Client) -> None:
    _ok(http.post(P + "/registered-models/create", json={"name": "answers"}))
    for _ in range(2):
        created = _ok(http.post(P + "/model-versions/create", json={
            "name": "answers", "source": "s3://bucket/model", "run_id": "e" * 32,
            "description": "first  ", "tags": TAGS}))["model_version"]
        read = _ok(http.get(P + "/model-versions/get", params={
            "name": "answers", "version": created["version"]}))["model_version"]
        assert created == read
        assert [t["key"] for t in created["tags"]] == ["B", "a", "k"]
    assert created["version"] == "2"
    assert _ok(http.get(P + "/registered-models/get", params={"name": "answers"}))[
        "registered_model"]["last_updated_timestamp"] == created["last_updated_timestamp"]


def test_native_version_with_parents_answers_what_get_reads(http: httpx.Client) -> None:
    for name in ("base", "tuned"):
        _ok(http.post("/api/v1/models", json={"name": name}))
    for _ in range(3):
        _ok(http.post("/api/v1/models/base/versions", json={"files": []}))
    created = _ok(http.post("/api/v1/models/tuned/versions", json={
        "files": [], "tags": {"z": "1", "Y": "2"}, "description": "from two parents",
        "parents": [{"model": "base", "version": 3},
                    {"model": "base", "version": 1, "relation": "fine_tuned_from"}]}))["version"]
    read = _ok(http.get(f"/api/v1/models/tuned/versions/{created['version']}"))["version"]
    assert {k: v for k, v in created.items() if k != "files"} == {
        k: v for k, v in read.items() if k != "files"}
    assert list(created["tags"]) == ["Y", "z"]
    assert [(p["version"], p["relation"]) for p in created["parents"]] == [
        (1, "fine_tuned_from"), (3, "derived_from")]
