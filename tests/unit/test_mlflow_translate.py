"""MLflow filter spellings -> ours, and the artifact-path parser of the MLflow API."""

from __future__ import annotations

import pytest

from modelyard.domain.registry import MODEL_FIELDS, VERSION_FIELDS
from modelyard.domain.search import parse_filter
from modelyard.errors import InvalidParameter, NotFound
from modelyard.domain.sources import ArtifactSource
from modelyard.server.mlflow_compat.sources import parse_artifact_path
from modelyard.server.mlflow_compat.translate import (
    logged_model_id_of,
    registry_filter,
    rename_fields,
)

RENAMES = {"source_path": "source", "timestamp": "creation_timestamp"}


@pytest.mark.parametrize("given,expected", [
    ("source_path = 's3://x'", "source = 's3://x'"),
    ("attributes.source_path = 'a'", "attributes.source = 'a'"),
    ("name = 'source_path'", "name = 'source_path'"),  # inside quotes: untouched
    ('tags.`source_path` = "source_path"', 'tags.`source_path` = "source_path"'),
    ("tags.source_path = 'x'", "tags.source_path = 'x'"),  # a tag key, not an attribute
    ("timestamp DESC", "creation_timestamp DESC"),
    (None, None),
])
def test_rename_fields(given: str | None, expected: str | None) -> None:
    assert rename_fields(given, RENAMES) == expected


def test_prompt_clause_keeps_models_without_the_tag() -> None:
    # What the mlflow client appends to every registry search.
    text = registry_filter("name LIKE 'a%' AND tag.`mlflow.prompt.is_prompt` != 'true'")
    assert text == ("name LIKE 'a%' AND (tags.`mlflow.prompt.is_prompt` IS NULL "
                    "OR tags.`mlflow.prompt.is_prompt` != 'true')")
    assert parse_filter(text, MODEL_FIELDS) is not None
    assert parse_filter(registry_filter("source_path = 'x'", RENAMES), VERSION_FIELDS)


def test_which_models_an_mlflow_search_sees() -> None:
    from modelyard.server.mlflow_compat.translate import searched_kind

    assert searched_kind(None) == "model"
    assert searched_kind("tag.`mlflow.prompt.is_prompt` != 'true'") == "model"
    assert searched_kind("name = 'a' AND tags.`mlflow.prompt.is_prompt` = 'true'") is None
    assert searched_kind("tags.`mlflow.prompt.is_prompt` != 'false'") is None
    assert searched_kind("tags.`mlflow.prompt.is_prompt` = 'false'") == "model"


def test_artifact_paths() -> None:
    assert parse_artifact_path("3/abc/artifacts/model/MLmodel") == ArtifactSource(
        "run", "abc", "model/MLmodel", experiment_id="3")
    assert parse_artifact_path("3/models/m-1/artifacts/x") == ArtifactSource(
        "logged_model", "m-1", "x", experiment_id="3")
    assert parse_artifact_path("model-versions/fraud/2/MLmodel") == ArtifactSource(
        "version", "fraud", "MLmodel", 2)
    assert parse_artifact_path("3/abc/artifacts") == ArtifactSource("run", "abc", "",
                                                                     experiment_id="3")
    assert parse_artifact_path("3") is None and parse_artifact_path("") is None
    with pytest.raises(InvalidParameter):
        parse_artifact_path("3/abc/artifacts/a/%2e%2e/b")
    with pytest.raises(NotFound):
        parse_artifact_path("model-versions/fraud/latest/x")


def test_logged_model_sources() -> None:
    assert logged_model_id_of("models:/m-" + "a" * 32) == "m-" + "a" * 32
    assert logged_model_id_of("models:/fraud/1") is None
