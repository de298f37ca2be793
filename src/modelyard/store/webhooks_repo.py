"""SQL for webhooks and deliveries (see ``schema_webhooks.py`` for the claim protocol)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.domain.webhook_records import (
    EXCERPT,
    MAX_ATTEMPTS_KEPT,
    Attempt,
    Claimed,
    DeliveryRecord,
    NewDelivery,
    Outcome,
    WebhookRecord,
)
from modelyard.domain.entities import Event
from modelyard.sealing import KeyFile, UnsealError
from modelyard.store.events_repo import EventRepo
from modelyard.store.schema import events
from modelyard.store.schema_webhooks import webhook_deliveries as D
from modelyard.store.schema_webhooks import webhooks as W
from modelyard.store.sql_store import SqlStore


def _webhook(r: Any) -> WebhookRecord:
    return WebhookRecord(id=int(r["id"]), name=r["name"], url=r["url"], events=tuple(json.loads(r["events"])),
                         project=r["project"], description=r["description"] or "",
                         status=r["status"], created_at=r["created_at"],
                         created_by=r["created_by"], updated_at=r["updated_at"],
                         has_secret=bool(r["secret"]))


def _delivery(r: Any) -> DeliveryRecord:
    log = tuple(Attempt(**a) for a in json.loads(r["attempts_log"] or "[]"))
    return DeliveryRecord(id=int(r["id"]), webhook_id=int(r["webhook_id"]),
                          event_id=r["event_id"], delivery_uuid=r["delivery_uuid"],
                          event_name=r["event_name"], status=r["status"],
                          attempts=r["attempts"], created_at=r["created_at"],
                          next_attempt_at=r["next_attempt_at"],
                          last_status_code=r["last_status_code"], log=log)


class SqlWebhookStore:
    """Signing secrets are sealed by ``box`` on the way in and opened when a delivery
    is claimed; the database never holds one in clear."""

    def __init__(self, store: SqlStore, box: KeyFile) -> None:
        self.store, self.box = store, box

    def _seal(self, secret: str | None) -> str | None:
        return self.box.seal(secret) if secret else None

    def _claimed(self, row: Any) -> Claimed:
        secret, unreadable = row["secret"], False
        if secret:
            try:
                secret = self.box.open(secret)
            except UnsealError:
                secret, unreadable = None, True
        return Claimed(delivery=_delivery(row), url=row["url"], secret=secret,
                       body=row["body"], unreadable_secret=unreadable)

    @contextmanager
    def _conn(self, write: bool = True) -> Iterator[Connection]:
        with (self.store.write() if write else self.store.read()) as tx:
            yield tx.conn

    def create(self, *, name: str, url: str, events: list[str], project: str | None, description: str,
               secret: str | None, created_by: str, now: int) -> WebhookRecord:
        with self._conn() as c:
            cursor = c.execute(select(func.max(events_table.c.id))).scalar() or 0
            new_id = c.execute(insert(W).values(
                name=name, url=url, events=json.dumps(events), project=project, description=description,
                secret=self._seal(secret), status="active", cursor=cursor, created_at=now,
                created_by=created_by, updated_at=now)).inserted_primary_key
            assert new_id is not None
            row = c.execute(select(W).where(W.c.id == new_id[0])).mappings().one()
            return _webhook(row)

    def get(self, webhook_id: int) -> WebhookRecord | None:
        with self._conn(False) as c:
            row = c.execute(select(W).where(W.c.id == webhook_id)).mappings().first()
            return _webhook(row) if row else None

    def find(self, projects: set[str] | None) -> list[WebhookRecord]:
        q = select(W).order_by(W.c.id)
        if projects is not None:
            q = q.where(W.c.project.in_(sorted(projects)))
        with self._conn(False) as c:
            return [_webhook(r) for r in c.execute(q).mappings()]

    def active(self) -> list[WebhookRecord]:
        with self._conn(False) as c:
            return [_webhook(r) for r in
                    c.execute(select(W).where(W.c.status == "active")).mappings()]

    def update(self, webhook_id: int, *, name: str | None, url: str | None, events: list[str] | None,
               description: str | None, secret: str | None, status: str | None,
               now: int) -> WebhookRecord | None:
        values: dict[str, Any] = {"updated_at": now}
        if name is not None:
            values["name"] = name
        if url is not None:
            values["url"] = url
        if events is not None:
            values["events"] = json.dumps(events)
        if description is not None:
            values["description"] = description
        if secret is not None:
            values["secret"] = self._seal(secret)
        if status is not None:
            values["status"] = status
        with self._conn() as c:
            if c.execute(update(W).where(W.c.id == webhook_id).values(**values)).rowcount == 0:
                return None
            return _webhook(c.execute(select(W).where(W.c.id == webhook_id)).mappings().one())

    def delete(self, webhook_id: int) -> bool:
        with self._conn() as c:
            c.execute(delete(D).where(D.c.webhook_id == webhook_id))
            return bool(c.execute(delete(W).where(W.c.id == webhook_id)).rowcount)

    def deliveries(self, webhook_id: int, limit: int) -> list[DeliveryRecord]:
        q = select(D).where(D.c.webhook_id == webhook_id).order_by(D.c.id.desc()).limit(limit)
        with self._conn(False) as c:
            return [_delivery(r) for r in c.execute(q).mappings()]

    def scan(self, webhook: WebhookRecord, limit: int,
             build: Callable[[Event], NewDelivery | None]) -> int:
        with self._conn(False) as c:  # idle turns take no write lock
            newest = c.execute(select(func.max(events_table.c.id))).scalar() or 0
            cursor = c.execute(select(W.c.cursor).where(W.c.id == webhook.id)).scalar()
        if cursor is None or newest <= cursor:
            return 0
        try:
            with self._conn() as c:
                seen = c.execute(select(W.c.cursor).where(W.c.id == webhook.id)).scalar()
                if seen is None:
                    return 0
                found = EventRepo(c).list(after_id=seen, limit=limit)
                if not found:
                    return 0
                # The claim on this batch: whoever moves the cursor from `seen` owns it.
                moved = c.execute(update(W).where(W.c.id == webhook.id, W.c.cursor == seen)
                                  .values(cursor=found[-1].id)).rowcount
                if moved != 1:
                    return 0
                now = max(e.time for e in found)
                rows = [d for d in (build(e) for e in found) if d is not None]
                if rows:
                    c.execute(insert(D), [_new_row(d, now) for d in rows])
                return len(rows)
        except IntegrityError:  # another process created them first
            return 0

    def add(self, delivery: NewDelivery, now: int, owner: str, lease_ms: int) -> int:
        row = _new_row(delivery, now) | {"lease_owner": owner, "lease_until": now + lease_ms}
        with self._conn() as c:
            key = c.execute(insert(D).values(row)).inserted_primary_key
            assert key is not None
            return int(key[0])

    def claim(self, owner: str, now: int, lease_ms: int, limit: int,
              only: int | None = None) -> list[Claimed]:
        free = or_(D.c.lease_until.is_(None), D.c.lease_until < now)
        if only is not None:  # a delivery added under this owner's lease (a test)
            free = or_(free, D.c.lease_owner == owner)
        due = (D.c.status == "pending", D.c.next_attempt_at <= now, free)
        q = select(D.c.id).where(*due).order_by(D.c.next_attempt_at, D.c.id).limit(limit)
        if only is not None:
            q = q.where(D.c.id == only)
        out: list[Claimed] = []
        with self._conn(False) as c:  # idle turns take no write lock
            if c.execute(q.limit(1)).first() is None:
                return out
        with self._conn() as c:
            if c.dialect.name in ("postgresql", "mysql", "mariadb"):
                q = q.with_for_update(skip_locked=True)
            ids = [int(i) for i in c.execute(q).scalars()]
            if not ids:
                return out
            until = now + lease_ms
            c.execute(update(D).where(D.c.id.in_(ids), *due)
                      .values(lease_until=until, lease_owner=owner))
            rows = c.execute(select(D, W.c.url, W.c.secret).join(W, W.c.id == D.c.webhook_id)
                             .where(D.c.id.in_(ids), D.c.lease_owner == owner,
                                    D.c.lease_until == until)).mappings()
            out.extend(self._claimed(row) for row in rows)
        return out

    def finish(self, outcomes: list[Outcome], owner: str) -> None:
        if not outcomes:
            return
        with self._conn() as c:
            ids = [o.delivery_id for o in outcomes]
            rows = {int(r[0]): (r[1], r[2]) for r in c.execute(
                select(D.c.id, D.c.attempts, D.c.attempts_log)
                .where(D.c.id.in_(ids), D.c.lease_owner == owner))}
            for o in outcomes:
                if o.delivery_id not in rows:
                    continue  # the lease expired and another process took it over
                attempts, raw = rows[o.delivery_id]
                entry = o.attempt.to_dict()
                entry["excerpt"] = entry["excerpt"][:EXCERPT]
                log = (json.loads(raw or "[]") + [entry])[-MAX_ATTEMPTS_KEPT:]
                c.execute(update(D).where(D.c.id == o.delivery_id, D.c.lease_owner == owner)
                          .values(status=o.status, attempts=attempts + 1,
                                  attempts_log=json.dumps(log),
                                  last_status_code=o.attempt.status_code,
                                  next_attempt_at=o.next_attempt_at,
                                  lease_until=None, lease_owner=None))


events_table = events


def _new_row(d: NewDelivery, now: int) -> dict[str, Any]:
    return {"webhook_id": d.webhook_id, "event_id": d.event_id,
            "delivery_uuid": d.delivery_uuid, "event_name": d.event_name, "body": d.body,
            "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": 0,
            "lease_until": None, "lease_owner": None, "last_status_code": None,
            "attempts_log": "[]"}
