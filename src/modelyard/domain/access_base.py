"""What every part of the access service holds: the store, the clock and the short
caches that keep a credential check off the database on the hot path.

Caches are per process and short: a verified token or user is trusted for
``CACHE_SECONDS`` (2 s), a verified password for ``PASSWORD_SECONDS`` (60 s, keyed
by a fast hash of user and password, and only while the user's ``changed_at`` has not
moved).  A change made by this process (revoke, disable, delete, grant) clears them at
once; one made by another process takes effect there within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from modelyard.domain.ports import Clock, MetadataStore, SystemClock

CACHE_SECONDS = 2.0
PASSWORD_SECONDS = 60.0
K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A bounded map whose entries expire ``ttl`` seconds after they were put."""

    def __init__(self, ttl: float, size: int = 4096,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.now = ttl, size, now
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] < self.now():
                del self._items[key]
                return None
            return found[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """``ttl``: a shorter life than the cache's own (what the value stays valid)."""
        with self._lock:
            self._items[key] = (self.now() + (self.ttl if ttl is None else min(ttl, self.ttl)),
                                value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class AccessBase:
    def __init__(self, store: MetadataStore, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self._open: TtlCache[str, bool] = TtlCache(CACHE_SECONDS, 1)
        self._default: TtlCache[str, int] = TtlCache(3600.0, 1)  # a project id never changes
        self._tokens: TtlCache[str, object] = TtlCache(CACHE_SECONDS)
        self._passwords: TtlCache[str, tuple[int, int]] = TtlCache(PASSWORD_SECONDS, 1024)
        self._roles: TtlCache[tuple[str, tuple[str, ...]],
                              dict[tuple[str, int], tuple[int, str]]] = TtlCache(CACHE_SECONDS)

    def is_open(self) -> bool:
        """No user is defined: every actor acts as the local admin (the server only
        runs so on loopback, or with --insecure)."""
        found = self._open.get("")
        if found is None:
            with self.store.read() as tx:
                found = tx.access.count_users() == 0
            self._open.put("", found)
        return found

    def changed(self) -> None:
        """A credential, a user or a grant changed: forget what this process cached."""
        for cache in (self._open, self._tokens, self._passwords, self._roles):
            cache.clear()
