"""Readiness: whether this process can serve requests now, for a load balancer or a
Kubernetes readiness probe.  Liveness (``/health``) needs nothing; readiness needs one
database round trip and one storage call.  Each check says only ``ok`` or the error's
stable code, never a host, path or message.

A backend that accepts connections and never answers would hold each probe for its
client's timeouts and retries (minutes for S3), and probes come every few seconds: so
each check answers within ``deadline_s`` (``TIMEOUT`` past it), and a check still
running is awaited by the probes that follow instead of started again.  A hung backend
holds one thread per check, not one per probe."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol

from modelyard.domain.ports import BlobStore
from modelyard.errors import ModelyardError

class Pingable(Protocol):
    def ping(self) -> None: ...


class HealthService:
    def __init__(self, store: Pingable, blobs: BlobStore, *, deadline_s: float = 5.0) -> None:
        self.store = store
        self.blobs = blobs
        self.deadline_s = deadline_s
        self._database = _SingleFlight(store.ping)
        self._storage = _SingleFlight(self._list_one)

    def readiness(self) -> dict[str, str]:
        """{"database": "ok" | code, "storage": "ok" | code}; both checks at once."""
        until = time.monotonic() + self.deadline_s
        database, storage = self._database.start(), self._storage.start()
        return {"database": _result(database, until), "storage": _result(storage, until)}

    def _list_one(self) -> None:
        # A listing, not a lookup: a missing bucket answers a lookup with "not found"
        # as if only the blob were absent.  The listing stops at its first blob.
        next(iter(self.blobs.iter_blobs()), None)


class _SingleFlight:
    """One run of ``call`` at a time, in a thread of its own."""

    def __init__(self, call: Callable[[], object]) -> None:
        self.call = call
        self._lock = threading.Lock()
        self._running: Future[str] | None = None

    def start(self) -> Future[str]:
        with self._lock:
            if self._running is None or self._running.done():
                future: Future[str] = Future()

                def run() -> None:
                    try:
                        future.set_result(_check(self.call))
                    finally:  # an exit of the thread itself: the next probe checks anew
                        if not future.done():
                            future.set_result("UNAVAILABLE")

                threading.Thread(target=run, name="modelyard-ready", daemon=True).start()
                self._running = future
            return self._running


def _result(future: Future[str], until: float) -> str:
    try:
        return future.result(timeout=max(0.0, until - time.monotonic()))
    except FutureTimeout:
        return "TIMEOUT"


def _check(call: Callable[[], object]) -> str:
    try:
        call()
    except ModelyardError as exc:
        return exc.code
    except Exception:  # noqa: BLE001 - a probe reports, it never raises
        return "UNAVAILABLE"
    return "ok"
