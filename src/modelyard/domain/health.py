"""Readiness: whether this process can serve requests now, for a load balancer or a
Kubernetes readiness probe.  Liveness (``/health``) needs nothing; readiness needs one
database round trip and one storage call.  Each check says only ``ok`` or the error's
stable code, never a host, path or message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from modelyard.domain.ports import BlobStore
from modelyard.errors import ModelyardError

class Pingable(Protocol):
    def ping(self) -> None: ...


class HealthService:
    def __init__(self, store: Pingable, blobs: BlobStore) -> None:
        self.store = store
        self.blobs = blobs

    def readiness(self) -> dict[str, str]:
        """{"database": "ok" | code, "storage": "ok" | code}."""
        return {"database": _check(self.store.ping),
                "storage": _check(self._list_one)}

    def _list_one(self) -> None:
        # A listing, not a lookup: a missing bucket answers a lookup with "not found"
        # as if only the blob were absent.  The listing stops at its first blob.
        next(iter(self.blobs.iter_blobs()), None)


def _check(call: Callable[[], object]) -> str:
    try:
        call()
    except ModelyardError as exc:
        return exc.code
    except Exception:  # noqa: BLE001 - a probe reports, it never raises
        return "UNAVAILABLE"
    return "ok"
