"""Entities the stores assemble on their read paths are the entities the constructor
builds: equal, frozen, and refused when a field is missing or unknown."""

from __future__ import annotations

import dataclasses

import pytest

from modelyard.domain.entities import ModelVersion, RegisteredModel, Run


def _values(entity: object) -> dict[str, object]:
    return {f.name: getattr(entity, f.name) for f in dataclasses.fields(entity)}  # type: ignore[arg-type]


@pytest.mark.parametrize("built", [
    ModelVersion(model="fraud", version=3, tags={"k": "v"}, aliases=["prod"], run_id="r1"),
    RegisteredModel(name="fraud", tags={"team": "risk"}, aliases={"prod": 3},
                    latest_version=3),
    Run(run_id="r1", experiment_id="1", params={"lr": "0.1"}, metrics={"acc": 0.9}),
])
def test_an_assembled_entity_is_the_constructed_one(built: object) -> None:
    cls = type(built)
    assembled = cls.assembled(_values(built))  # type: ignore[attr-defined]
    assert assembled == built and repr(assembled) == repr(built)
    assert assembled.to_dict() == built.to_dict()  # type: ignore[attr-defined]
    assert cls.from_dict(assembled.to_dict()) == built  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        assembled.run_id = "other"  # type: ignore[attr-defined]


def test_assembling_refuses_a_missing_or_unknown_field() -> None:
    values = _values(ModelVersion(model="fraud", version=1))
    del values["tags"]
    with pytest.raises(TypeError, match=r"missing \['tags'\]"):
        ModelVersion.assembled(values)
    values["tags"] = {}
    values["colour"] = "red"
    with pytest.raises(TypeError, match=r"unknown \['colour'\]"):
        ModelVersion.assembled(values)


def test_a_version_record_is_assembled_as_constructed_and_never_written_as_json() -> None:
    from modelyard.domain.assembly import assembled
    from modelyard.domain.records import VersionRecord
    from modelyard.server.mlflow_compat.handler import json_response

    built = VersionRecord(
        id=1, model_id=2, model="fraud", version=3, status="READY", stage="None",
        description="", source="", run_id=None, flavor=None, signature=None, metrics={},
        size=0, file_count=0, created_at=1, updated_at=1, created_by="a", updated_by="a",
        deleted_at=None)
    assert assembled(VersionRecord, _values(built)) == built
    assert built != tuple(_values(built).values())  # a record, not a tuple
    with pytest.raises(TypeError):  # an internal record never goes out by mistake
        json_response({"model_version": built})


def test_a_class_with_slots_is_not_assembled() -> None:
    from modelyard.domain.assembly import assembled
    from modelyard.domain.records import ModelRecord

    with pytest.raises(TypeError, match="cannot be assembled"):
        assembled(ModelRecord, {})
