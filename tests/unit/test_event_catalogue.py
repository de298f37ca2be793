"""One catalogue of event types, each with its typed payload."""

from __future__ import annotations

import dataclasses

from modelyard.domain import events as ev
from modelyard.domain import governance_events  # noqa: F401  (registers its payloads)


def test_every_event_type_has_one_payload_class() -> None:
    assert set(ev.PAYLOADS) == set(ev.EventType)
    assert all(cls.type is t for t, cls in ev.PAYLOADS.items())
    for cls in ev.PAYLOADS.values():
        assert dataclasses.is_dataclass(cls)
        fields = [f.name for f in dataclasses.fields(cls)]
        if fields:  # frozen: a payload cannot change once recorded
            instance = cls(**{name: None for name in fields})
            try:
                setattr(instance, fields[0], 1)
            except dataclasses.FrozenInstanceError:
                continue
            raise AssertionError(f"{cls.__name__} is not frozen")


def test_old_fields_are_the_state_before() -> None:
    assert ev.AliasSet(old_version=None, version=2).parts() == (
        {"version": None}, {"version": 2, "via": "set", "request_id": None})
    assert ev.ModelDeleted().parts() == (None, None)
    assert ev.VersionDeleted(["champion"], "Production").parts() == (
        {"aliases": ["champion"], "stage": "Production"}, None)
    assert ev.RunUpdated(old_status="RUNNING", old_name="a", status="FINISHED").parts() == (
        {"status": "RUNNING"}, {"status": "FINISHED"})
