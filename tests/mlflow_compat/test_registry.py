"""The model registry through MlflowClient: models, versions, tags, aliases, stages,
search and pagination, errors, against a live modelyard server."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    # Stages and get_latest_versions are deprecated in MLflow 3 and warn; we keep them.
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]


def _code(exc: pytest.ExceptionInfo[MlflowException]) -> str:
    return exc.value.error_code


def test_registered_model_lifecycle(mc: MlflowClient) -> None:
    rm = mc.create_registered_model("fraud", tags={"team": "risk"}, description="card fraud")
    assert rm.name == "fraud" and rm.tags == {"team": "risk"} and rm.description == "card fraud"
    assert rm.creation_timestamp > 1_600_000_000_000  # milliseconds
    with pytest.raises(MlflowException) as exc:
        mc.create_registered_model("fraud")
    assert _code(exc) == "RESOURCE_ALREADY_EXISTS"

    mc.update_registered_model("fraud", description="new text")
    mc.set_registered_model_tag("fraud", "owner", "ana")
    mc.delete_registered_model_tag("fraud", "team")
    got = mc.get_registered_model("fraud")
    assert got.description == "new text" and got.tags == {"owner": "ana"}

    mc.rename_registered_model("fraud", "card-fraud")
    with pytest.raises(MlflowException) as exc:
        mc.get_registered_model("fraud")
    assert _code(exc) == "RESOURCE_DOES_NOT_EXIST"
    assert mc.get_registered_model("card-fraud").tags == {"owner": "ana"}

    mc.delete_registered_model("card-fraud")
    with pytest.raises(MlflowException) as exc:
        mc.get_registered_model("card-fraud")
    assert _code(exc) == "RESOURCE_DOES_NOT_EXIST"
    # MLflow deletes for good: the name is free again.
    assert mc.create_registered_model("card-fraud").name == "card-fraud"


def test_versions_tags_and_aliases(mc: MlflowClient) -> None:
    mc.create_registered_model("m")
    v1 = mc.create_model_version("m", "s3://bucket/one", tags={"k": "a"}, description="first")
    v2 = mc.create_model_version("m", "s3://bucket/two")
    assert (v1.version, v2.version) == ("1", "2")  # numeric strings, as MLflow
    assert v1.status == "READY" and v1.source == "s3://bucket/one" and v1.tags == {"k": "a"}
    assert mc.get_model_version("m", "1").description == "first"

    mc.update_model_version("m", "2", description="second")
    mc.set_model_version_tag("m", "2", "stage", "candidate")
    mc.delete_model_version_tag("m", "1", "k")
    assert mc.get_model_version("m", "2").tags == {"stage": "candidate"}
    assert mc.get_model_version("m", "1").tags == {}

    mc.set_registered_model_alias("m", "champion", "1")
    mc.set_registered_model_alias("m", "challenger", 2)
    assert mc.get_model_version_by_alias("m", "champion").version == "1"
    assert mc.get_registered_model("m").aliases == {"champion": "1", "challenger": "2"}
    assert mc.get_model_version("m", "2").aliases == ["challenger"]
    mc.set_registered_model_alias("m", "champion", "2")  # moving an alias
    assert mc.get_model_version_by_alias("m", "champion").version == "2"
    mc.delete_registered_model_alias("m", "challenger")
    with pytest.raises(MlflowException) as exc:
        mc.get_model_version_by_alias("m", "challenger")
    assert _code(exc) == "INVALID_PARAMETER_VALUE"  # MLflow's code for it

    mc.delete_model_version("m", "1")
    with pytest.raises(MlflowException) as exc:
        mc.get_model_version("m", "1")
    assert _code(exc) == "RESOURCE_DOES_NOT_EXIST"
    assert mc.get_model_version_download_uri("m", "2") == "mlflow-artifacts:/model-versions/m/2"


def test_stages_and_latest_versions(mc: MlflowClient) -> None:
    mc.create_registered_model("s")
    for i in range(4):
        mc.create_model_version("s", f"s3://b/{i}")
    assert mc.transition_model_version_stage("s", "1", "Production").current_stage == "Production"
    mc.transition_model_version_stage("s", "2", "staging")
    v3 = mc.transition_model_version_stage("s", "3", "Production", archive_existing_versions=True)
    assert v3.current_stage == "Production"
    assert mc.get_model_version("s", "1").current_stage == "Archived"

    latest = {v.current_stage: v.version for v in mc.get_latest_versions("s")}
    assert latest == {"None": "4", "Staging": "2", "Production": "3", "Archived": "1"}
    assert [v.version for v in mc.get_latest_versions("s", stages=["Production"])] == ["3"]
    rm = mc.get_registered_model("s")
    assert {v.version for v in rm.latest_versions} == {"1", "2", "3", "4"}
    # MLflow 2 code reads latest_versions off search results too.
    (found,) = mc.search_registered_models("name = 's'")
    assert {(v.version, v.current_stage) for v in found.latest_versions} == {
        ("4", "None"), ("2", "Staging"), ("3", "Production"), ("1", "Archived")}
    with pytest.raises(MlflowException) as exc:
        mc.transition_model_version_stage("s", "1", "Nonsense")
    assert _code(exc) == "INVALID_PARAMETER_VALUE"


def test_search_filters_ordering_and_pages(mc: MlflowClient) -> None:
    for i in range(7):
        mc.create_registered_model(f"fraud-{i}", tags={"team": "risk" if i % 2 else "ops"})
    mc.create_registered_model("other")

    names = [m.name for m in mc.search_registered_models("name LIKE 'fraud-%'")]
    assert names == [f"fraud-{i}" for i in range(7)]
    risky = mc.search_registered_models("tags.team = 'risk'", order_by=["name DESC"])
    assert [m.name for m in risky] == ["fraud-5", "fraud-3", "fraud-1"]
    assert [m.name for m in mc.search_registered_models('name = "other"')] == ["other"]
    assert len(mc.search_registered_models("tags.`team` = 'ops'")) == 4

    seen, token = [], None
    for _ in range(3):
        page = mc.search_registered_models(max_results=3, page_token=token)
        seen += [m.name for m in page]
        token = page.token
    assert not token and len(seen) == 8 and len(set(seen)) == 8

    for i in range(5):
        mc.create_model_version("fraud-0", f"s3://b/{i}", run_id=f"{i:032x}",
                                tags={"parity": "even" if i % 2 == 0 else "odd"})
    versions = mc.search_model_versions("name = 'fraud-0' AND tags.parity = 'even'")
    assert sorted(v.version for v in versions) == ["1", "3", "5"]
    assert [v.version for v in mc.search_model_versions(
        f"run_id = '{2:032x}'")] == ["3"]
    assert [v.version for v in mc.search_model_versions(
        "source_path = 's3://b/4'")] == ["5"]
    ordered = mc.search_model_versions("name='fraud-0'", order_by=["version_number ASC"])
    assert [v.version for v in ordered] == ["1", "2", "3", "4", "5"]
    page1 = mc.search_model_versions("name='fraud-0'", max_results=2)
    page2 = mc.search_model_versions("name='fraud-0'", max_results=2, page_token=page1.token)
    assert [v.version for v in page1] + [v.version for v in page2] == ["5", "4", "3", "2"]


@pytest.mark.parametrize("bad", ["name = ", "nonsense_field = 'x'", "name LIKE 3 AND"])
def test_bad_filters_are_invalid_parameter(mc: MlflowClient, bad: str) -> None:
    with pytest.raises(MlflowException) as exc:
        mc.search_registered_models(bad)
    assert _code(exc) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as exc:
        mc.search_model_versions(bad)
    assert _code(exc) == "INVALID_PARAMETER_VALUE"


def test_copy_model_version_shares_the_manifest(mc: MlflowClient) -> None:
    mc.create_registered_model("src")
    mc.create_model_version("src", "s3://b/x", tags={"a": "1"}, description="d")
    copy = mc.copy_model_version("models:/src/1", "dst")
    assert (copy.name, copy.version, copy.source) == ("dst", "1", "models:/src/1")
    assert copy.tags == {"a": "1"} and copy.description == "d"


def test_missing_things_are_resource_does_not_exist(mc: MlflowClient) -> None:
    for call in (lambda: mc.get_registered_model("nope"),
                 lambda: mc.get_model_version("nope", "1"),
                 lambda: mc.create_model_version("nope", "s3://x"),
                 lambda: mc.set_registered_model_alias("nope", "a", "1"),
                 lambda: mc.get_latest_versions("nope")):
        with pytest.raises(MlflowException) as exc:
            call()
        assert _code(exc) == "RESOURCE_DOES_NOT_EXIST"


def test_a_missing_model_or_version_tag_deletes_as_in_mlflow(mlflow_url: str,
                                                              mc: MlflowClient) -> None:
    """MLflow deletes a registered model's or a version's missing tag without an error
    (a run's or an experiment's answers 404); the native API keeps its 404."""
    import httpx

    mc.create_registered_model("tagless")
    mc.create_model_version("tagless", "s3://bucket/model")
    mc.delete_registered_model_tag("tagless", "never-set")
    mc.delete_model_version_tag("tagless", "1", "never-set")
    with pytest.raises(MlflowException) as exc:  # the version itself must exist
        mc.delete_model_version_tag("tagless", "9", "never-set")
    assert _code(exc) == "RESOURCE_DOES_NOT_EXIST"
    native = httpx.Client(base_url=f"{mlflow_url}/api/v1",
                          headers={"X-Modelyard-Client": "test"})
    gone = native.delete("/models/tagless/versions/1/tags/never-set")
    assert gone.status_code == 404 and gone.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert native.delete("/models/tagless/tags/never-set").status_code == 404


def test_an_alias_the_model_lacks_answers_as_in_mlflow(mlflow_url: str,
                                                       mc: MlflowClient) -> None:
    """MLflow reads a missing alias as INVALID_PARAMETER_VALUE (400, "Registered model
    alias <a> not found.") and deletes one without an error; a missing model is still
    RESOURCE_DOES_NOT_EXIST; the native API answers 404 for the alias."""
    import httpx

    mc.create_registered_model("unaliased")
    mc.create_model_version("unaliased", "s3://bucket/model")
    with pytest.raises(MlflowException) as exc:
        mc.get_model_version_by_alias("unaliased", "prod")
    assert _code(exc) == "INVALID_PARAMETER_VALUE"
    assert exc.value.get_http_status_code() == 400
    assert "Registered model alias prod not found." in str(exc.value)
    mc.delete_registered_model_alias("unaliased", "prod")
    with pytest.raises(MlflowException) as exc:
        mc.get_model_version_by_alias("no-such-model", "prod")
    assert _code(exc) == "RESOURCE_DOES_NOT_EXIST"
    assert mc.get_model_version_by_alias("unaliased", "latest").version == "1"
    native = httpx.get(f"{mlflow_url}/api/v1/models/unaliased/aliases/prod")
    assert native.status_code == 404 and native.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
