"""Readiness: whether this process can serve requests now, for a load balancer or a
Kubernetes readiness probe.  Liveness (``/health``) needs nothing; readiness needs one
database round trip and one storage call.  Each check says only ``ok`` or the error's
stable code, never a host, path or message.

A backend that accepts connections and never answers would hold each probe for its
client's timeouts and retries (minutes for S3), and probes come every few seconds: so
each check answers within ``deadline_s`` (``TIMEOUT`` past it), and a check still
running is awaited by the probes that follow instead of started again.  A hung backend
holds one thread per check, not one per probe; a check hung for ``FRESH_AFTER``
deadlines gets a fresh attempt beside it, so a backend that comes back is seen ready
within a few deadlines, not after the hung call's own timeouts and retries.  At most
``MAX_FLIGHTS`` attempts of a check hang at once: past them (a backend hung for a
minute), a return is seen when the oldest hung call gives up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Protocol

from modelyard.domain.ports import BlobStore
from modelyard.errors import ModelyardError

#: A check still running after this many deadlines is attempted afresh beside it.
FRESH_AFTER = 3
#: Attempts of one check that may hang at once (threads held by a hung backend).
MAX_FLIGHTS = 4


class Pingable(Protocol):
    def ping(self) -> None: ...


class HealthService:
    def __init__(self, store: Pingable, blobs: BlobStore, *, deadline_s: float = 5.0) -> None:
        self.store = store
        self.blobs = blobs
        self.deadline_s = deadline_s
        self._database = _SingleFlight(store.ping, fresh_after_s=FRESH_AFTER * deadline_s)
        self._storage = _SingleFlight(self._list_one, fresh_after_s=FRESH_AFTER * deadline_s)

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
    """One run of ``call`` at a time, in a thread of its own; a fresh one beside a run
    older than ``fresh_after_s``, up to ``MAX_FLIGHTS`` running."""

    def __init__(self, call: Callable[[], object], *, fresh_after_s: float) -> None:
        self.call = call
        self.fresh_after_s = fresh_after_s
        self._lock = threading.Lock()
        self._flights: list[tuple[float, Future[str]]] = []  # (started, result), oldest first

    def start(self) -> Future[str]:
        """The newest run's result to come, starting a run when none is fit to await."""
        with self._lock:
            now = time.monotonic()
            self._flights = [(t, f) for t, f in self._flights if not f.done()]
            if self._flights:
                started, newest = self._flights[-1]
                if now - started < self.fresh_after_s or len(self._flights) >= MAX_FLIGHTS:
                    return newest
            future = self._launch()
            self._flights.append((now, future))
            return future

    def _launch(self) -> Future[str]:
        future: Future[str] = Future()

        def run() -> None:
            try:
                future.set_result(_check(self.call))
            except BaseException:  # noqa: BLE001 - an exit of the thread itself: no traceback
                future.set_result("UNAVAILABLE")

        try:
            threading.Thread(target=run, name="modelyard-ready", daemon=True).start()
        except RuntimeError:  # no thread to be had: this probe says so
            future.set_result("UNAVAILABLE")
        return future


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
