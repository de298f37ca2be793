"""Records of webhooks and deliveries, and the ports the webhook service needs: the
store of subscriptions and deliveries (``store/webhooks_repo.py``) and the outbound
HTTP sender (``modelyard/outbound.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from modelyard.domain.entities import Event

MAX_ATTEMPTS_KEPT = 10  # attempts a delivery remembers (the newest)
EXCERPT = 512  # characters of a receiver's response kept per attempt


@dataclass(frozen=True)
class WebhookRecord:
    id: int
    name: str
    url: str
    events: tuple[str, ...]
    project: str | None
    description: str
    status: str
    created_at: int
    created_by: str
    updated_at: int
    has_secret: bool

    def to_dict(self) -> dict[str, Any]:
        """Never the secret: it is write-only."""
        return {"id": str(self.id), "name": self.name, "url": self.url, "events": list(self.events),
                "project": self.project, "description": self.description,
                "status": self.status, "created_at": self.created_at,
                "created_by": self.created_by, "updated_at": self.updated_at,
                "has_secret": self.has_secret}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WebhookRecord:
        return cls(id=int(d["id"]), name=d.get("name") or "", url=d["url"],
                   events=tuple(d["events"]),
                   project=d.get("project"), description=d.get("description") or "",
                   status=d["status"], created_at=int(d["created_at"]),
                   created_by=d["created_by"], updated_at=int(d["updated_at"]),
                   has_secret=bool(d.get("has_secret")))


@dataclass(frozen=True)
class Attempt:
    time: int
    status_code: int | None
    excerpt: str
    error: str | None
    duration_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "status_code": self.status_code, "excerpt": self.excerpt,
                "error": self.error, "duration_ms": self.duration_ms}


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    webhook_id: int
    event_id: int | None
    delivery_uuid: str
    event_name: str
    status: str
    attempts: int
    created_at: int
    next_attempt_at: int
    last_status_code: int | None
    log: tuple[Attempt, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "webhook_id": str(self.webhook_id),
                "event_id": self.event_id, "delivery_id": self.delivery_uuid,
                "event": self.event_name, "status": self.status, "attempts": self.attempts,
                "created_at": self.created_at, "next_attempt_at": self.next_attempt_at,
                "last_status_code": self.last_status_code,
                "log": [a.to_dict() for a in self.log]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DeliveryRecord:
        return cls(id=int(d["id"]), webhook_id=int(d["webhook_id"]), event_id=d.get("event_id"),
                   delivery_uuid=d["delivery_id"], event_name=d["event"], status=d["status"],
                   attempts=int(d["attempts"]), created_at=int(d["created_at"]),
                   next_attempt_at=int(d["next_attempt_at"]),
                   last_status_code=d.get("last_status_code"),
                   log=tuple(Attempt(**a) for a in d.get("log", [])))


@dataclass(frozen=True)
class Claimed:
    """A delivery claimed under a lease, with what is needed to send it."""

    delivery: DeliveryRecord
    url: str
    secret: str | None
    body: str
    unreadable_secret: bool = False  # sealed with another server key: do not send


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    attempt: Attempt
    status: str  # succeeded | pending (retry at next_attempt_at) | failed
    next_attempt_at: int


@dataclass(frozen=True)
class NewDelivery:
    webhook_id: int
    event_id: int | None
    delivery_uuid: str
    event_name: str
    body: str


class WebhookStore(Protocol):
    def create(self, *, name: str, url: str, events: list[str], project: str | None, description: str,
               secret: str | None, created_by: str, now: int) -> WebhookRecord: ...

    def get(self, webhook_id: int) -> WebhookRecord | None: ...

    def find(self, projects: set[str] | None) -> list[WebhookRecord]:
        """``projects=None``: all of them; else those of these projects."""
        ...

    def update(self, webhook_id: int, *, name: str | None, url: str | None, events: list[str] | None,
               description: str | None, secret: str | None, status: str | None,
               now: int) -> WebhookRecord | None: ...

    def delete(self, webhook_id: int) -> bool: ...

    def deliveries(self, webhook_id: int, limit: int) -> list[DeliveryRecord]: ...

    def active(self) -> list[WebhookRecord]: ...

    def scan(self, webhook: WebhookRecord, limit: int,
             build: Callable[[Event], NewDelivery | None]) -> int:
        """Turn the events after the webhook's cursor into deliveries, in one
        transaction that advances the cursor conditionally; ``build(event)`` answers a
        NewDelivery or None.  Returns how many deliveries were created (0 also when
        another process advanced the cursor first)."""
        ...

    def add(self, delivery: NewDelivery, now: int, owner: str, lease_ms: int) -> int:
        """A delivery already leased to ``owner`` (so no worker sends it meanwhile)."""
        ...

    def claim(self, owner: str, now: int, lease_ms: int, limit: int,
              only: int | None = None) -> list[Claimed]: ...

    def finish(self, outcomes: list[Outcome], owner: str) -> None:
        """Record attempts (one transaction) and release their leases."""
        ...


@dataclass(frozen=True)
class Response:
    status_code: int | None
    excerpt: str
    error: str | None


class Sender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        """One attempt: no redirect followed; a refused address or a timeout is a
        Response with ``error`` set."""
        ...

    def check_url(self, url: str) -> None:
        """Raise InvalidParameter for a URL the server may not send to."""
        ...
