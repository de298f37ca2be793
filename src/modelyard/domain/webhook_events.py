"""Which subscription names an event matches, and the body a receiver gets.

A webhook subscribes by name.  Accepted: the names of the issue
(``model_version.created``, ``alias.moved``, ``stage.changed``, ``request.opened``,
``request.approved``, ...), MLflow 3's entity.action names
(``registered_model.created``, ``model_version.created``, ``model_version_tag.set``,
``model_version_tag.deleted``, ``model_version_alias.created``,
``model_version_alias.deleted``), and any event type of the log itself
(``version.created``, ``alias.set``, ... see ``domain/events.py``), which matches
that type.  ``request.*`` names match the lifecycle's request events once they exist.

The body is MLflow's envelope, so MLflow receivers keep working:
``{"entity", "action", "timestamp", "data"}``, with modelyard's own fields beside it
(``event``, ``event_id``, ``event_type``, ``project``, ``actor``, ``delivery_id``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from modelyard.domain.entities import Event
from modelyard.domain.events import EventType
from modelyard.errors import InvalidParameter

# subscription name -> the event types it matches
ALIASES: dict[str, tuple[str, ...]] = {
    "model_version.created": ("version.created",),
    "alias.moved": ("alias.set",),
    "stage.changed": ("version.stage_changed",),
    "registered_model.created": ("model.created",),
    "model_version_tag.set": ("version.tag_set",),
    "model_version_tag.deleted": ("version.tag_deleted",),
    "model_version_alias.created": ("alias.set",),
    "model_version_alias.deleted": ("alias.deleted",),
}
REQUEST_EVENTS = ("request.opened", "request.approved", "request.rejected",
                  "request.cancelled", "request.performed")
KNOWN = frozenset(ALIASES) | frozenset(e.value for e in EventType) | frozenset(REQUEST_EVENTS)
NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")
MAX_EVENTS = 64


def check_events(value: object) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, list) or not value:
        raise InvalidParameter("events must be a non-empty list of event names")
    out: list[str] = []
    for v in value:
        name = v.strip() if isinstance(v, str) else ""
        if not NAME.match(name) or name not in KNOWN:
            raise InvalidParameter(f"unknown webhook event {str(v)[:64]!r}; known: "
                                   + ", ".join(sorted(ALIASES) + list(REQUEST_EVENTS))
                                   + " and the event log's types")
        if name not in out:
            out.append(name)
    if len(out) > MAX_EVENTS:
        raise InvalidParameter(f"at most {MAX_EVENTS} events per webhook")
    return out


def matching(names: tuple[str, ...], event_type: str) -> str | None:
    """The first subscribed name this event type matches."""
    for n in names:
        if n == event_type or event_type in ALIASES.get(n, ()):
            return n
    return None


def _data(event: Event) -> dict[str, Any]:
    after = dict(event.after or {})
    before = event.before or {}
    eid = event.entity_id
    data: dict[str, Any] = {}
    if "@" in eid:
        name, alias = eid.rsplit("@", 1)
        data = {"name": name, "alias": alias,
                "version": str(after.get("version", before.get("version", "")))}
    elif event.entity_type == "version" and "/" in eid:
        name, version = eid.rsplit("/", 1)
        data = {"name": name, "version": version}
    else:
        data = {"name": eid}
    for k, v in after.items():
        if k not in data:
            data[k] = v
    if before:
        data["previous"] = before
    if event.type == "version.created":
        data.setdefault("tags", {})
        data.setdefault("description", None)
    return data


def body(name: str, event: Event | None, delivery_id: str, project: str | None) -> str:
    entity, _, action = name.partition(".")
    now = datetime.now(UTC).isoformat()
    if event is None:  # a test delivery
        return json.dumps({"entity": entity, "action": action, "timestamp": now,
                           "data": {"test": True}, "event": name, "event_id": None,
                           "event_type": "webhook.test", "project": project,
                           "actor": None, "delivery_id": delivery_id})
    return json.dumps({"entity": entity, "action": action, "timestamp": now,
                       "data": _data(event), "event": name, "event_id": event.id,
                       "event_type": event.type, "project": event.project,
                       "actor": event.actor, "delivery_id": delivery_id}, default=str)
