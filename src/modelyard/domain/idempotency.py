"""Idempotent writes: a mutating request sent with an ``Idempotency-Key`` runs once.

The first request with a key *claims* it (one row, inserted in its own transaction:
the database's primary key decides between two requests arriving at once), runs,
and stores its answer; a request with the same key and the same fingerprint (its
body and query) gets that answer again instead of running; the same key with another
fingerprint is refused (:class:`~modelyard.errors.IdempotencyKeyReused`).  While the
first request runs, a second one is told so (the server waits and asks again).

- Keys are scoped by principal and route: the same key from two principals, or on
  two routes, are two keys.
- A key lives for :data:`KEY_TTL_MS` (a day) from its first use; after that it is
  free again.  A claim whose request never finished (its server was killed) is taken
  over after :data:`LEASE_MS`.
- Only successful answers are kept: a request that failed releases its key, so the
  retry runs again (after the client fixed what the error said).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from modelyard.domain.entities import Principal
from modelyard.domain.ports import Clock
from modelyard.errors import IdempotencyKeyReused, InvalidParameter

KEY_TTL_MS = 24 * 3600 * 1000
LEASE_MS = 10 * 60 * 1000
MAX_KEY = 255


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    created_at: int
    status: int | None
    content_type: str | None
    body: str | None


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    content_type: str
    body: str


class IdempotencyStore(Protocol):
    """Implemented by ``store/idempotency_repo.py``; each call is one transaction."""

    def insert(self, scope: str, fingerprint: str, now_ms: int) -> bool:
        """Claim ``scope``; False when a row for it exists already."""
        ...

    def get(self, scope: str) -> KeyRecord | None: ...

    def complete(self, scope: str, answer: StoredAnswer) -> None: ...

    def delete(self, scope: str, created_at: int | None = None) -> None:
        """Remove the row (only the one created at ``created_at`` when given)."""
        ...

    def purge(self, before_ms: int) -> int:
        """Remove the rows created before ``before_ms``; how many."""
        ...


@dataclass(frozen=True)
class Begin:
    """What to do with a request: ``run`` it (then :meth:`IdempotencyService.finish`
    or :meth:`~IdempotencyService.release` ``scope``), ``replay`` ``answer``, or
    ``wait`` for the first request with the key to finish."""

    action: str
    scope: str
    answer: StoredAnswer | None = None


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidParameter(
            f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters")
    return key


class IdempotencyService:
    def __init__(self, store: IdempotencyStore, clock: Clock, *,
                 ttl_ms: int = KEY_TTL_MS, lease_ms: int = LEASE_MS) -> None:
        self.store = store
        self.clock = clock
        self.ttl_ms = ttl_ms
        self.lease_ms = lease_ms

    def begin(self, actor: Principal, key: str, route: str, fingerprint: str) -> Begin:
        scope = hashlib.sha256("\0".join((actor.name, route, check_key(key))).encode()).hexdigest()
        for _ in range(5):
            now = self.clock.now_ms()
            # Read first: a request waiting for the first one polls without writing.
            rec = self.store.get(scope)
            if rec is None:
                if self.store.insert(scope, fingerprint, now):
                    return Begin("run", scope)
                continue  # claimed by another request meanwhile: read it
            if rec.created_at <= now - self.ttl_ms or (
                    rec.status is None and rec.created_at <= now - self.lease_ms):
                self.store.delete(scope, rec.created_at)
                continue
            if rec.fingerprint != fingerprint:
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used for a different request (another body "
                    "or query) in the last 24 hours; use a new key for a new request")
            if rec.status is None:
                return Begin("wait", scope)
            return Begin("replay", scope, StoredAnswer(rec.status, rec.content_type or "",
                                                       rec.body or ""))
        return Begin("wait", scope)

    def finish(self, scope: str, answer: StoredAnswer) -> None:
        self.store.complete(scope, answer)
        self.store.purge(self.clock.now_ms() - self.ttl_ms)

    def release(self, scope: str) -> None:
        self.store.delete(scope)


def fingerprint(query: bytes, content_type: bytes, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (query, content_type, body):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()
