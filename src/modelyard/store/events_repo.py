"""SQL for the event outbox (the audit log)."""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert, select

from modelyard.domain.access_records import Readable
from modelyard.domain.entities import Event
from modelyard.domain.records import NewEvent
from modelyard.store.readable import events_readable
from modelyard.store.schema import events


# Built once: every write appends an event, and building the INSERT cost more than
# running it.
_APPEND = insert(events)


class EventRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, event: NewEvent) -> None:
        e = event
        payload = json.dumps({"before": e.before, "after": e.after}, default=str)
        self.conn.execute(_APPEND, dict(
            type=e.type, entity_type=e.entity_type, entity_id=e.entity_id, project=e.project,
            actor=e.actor, time=e.time, payload=payload, entity_key=e.entity_key,
            model_id=e.model_id, actor_id=e.actor_id, actor_token=e.actor_token,
            actor_address=e.actor_address, request_id=e.request_id))

    def list(self, *, entity_type: str | None = None, entity_id: str | None = None,
             type_prefix: str | None = None, after_id: int | None = None,
             offset: int = 0, limit: int = 100, newest_first: bool = False,
             model_id: int | None = None, readable: Readable | None = None,
             actor: str | None = None, since: int | None = None,
             types: list[str] | None = None) -> list[Event]:
        q = select(events).where(events_readable(readable))
        if actor is not None:
            q = q.where(events.c.actor == actor)
        if since is not None:
            q = q.where(events.c.time >= since)
        if types:
            q = q.where(events.c.type.in_(types))
        if model_id is not None:
            q = q.where(events.c.model_id == model_id)
        if entity_type:
            q = q.where(events.c.entity_type == entity_type)
        if entity_id:
            q = q.where(events.c.entity_id == entity_id)
        if type_prefix:
            q = q.where(events.c.type.startswith(type_prefix, autoescape=True))
        if after_id is not None:
            q = q.where(events.c.id > after_id)
        q = q.order_by(events.c.id.desc() if newest_first else events.c.id.asc())
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings()
        out = []
        for r in rows:
            payload = json.loads(r["payload"]) if r["payload"] else {}
            out.append(Event(id=r["id"], type=r["type"], entity_type=r["entity_type"],
                             entity_id=r["entity_id"], actor=r["actor"], time=r["time"],
                             project=r["project"], before=payload.get("before"),
                             after=payload.get("after"), entity_key=r["entity_key"],
                             model_id=r["model_id"], actor_id=r["actor_id"],
                             actor_token=r["actor_token"], actor_address=r["actor_address"],
                             request_id=r["request_id"]))
        return out
