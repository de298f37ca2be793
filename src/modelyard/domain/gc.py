"""Garbage collection: purge soft-deleted rows, then blobs nothing references (through
the blob service, like every byte path).

Both only touch what is older than the grace period.  A blob a client is about to
reference has its time refreshed by the missing-digests call, and a fresh upload is
young, so a collection never races an upload in flight.  Partial uploads are judged by
their own age (``stale_upload_seconds``, whatever the grace): one that received no
bytes for that long was abandoned and is removed; one written to since is in flight
and never touched.  A dry run reports both exactly as the run would remove them.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain import events as ev
from modelyard.domain.blobs import BlobService
from modelyard.domain.entities import Principal
from modelyard.domain.ports import Clock, MetadataStore, SystemClock
from modelyard.errors import PermissionDenied


@dataclass(frozen=True)
class GcReport:
    versions_purged: int
    models_purged: int
    blobs_deleted: int
    bytes_freed: int
    temp_files_removed: int
    dry_run: bool
    temp_bytes_freed: int = 0

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class GcService:
    def __init__(self, store: MetadataStore, blobs: BlobService, clock: Clock | None = None,
                 grace_seconds: int = 86400, *, stale_upload_seconds: int = 900) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.grace_ms = grace_seconds * 1000
        self.stale_upload_ms = stale_upload_seconds * 1000

    def collect(self, actor: Principal, *, dry_run: bool = False,
                grace_seconds: int | None = None) -> GcReport:
        if not actor.is_admin and actor.name != "anonymous":
            raise PermissionDenied("garbage collection needs an admin")
        grace = self.grace_ms if grace_seconds is None else grace_seconds * 1000
        cutoff = self.clock.now_ms() - grace
        versions = models = 0
        if not dry_run:
            with self.store.write() as tx:
                versions, models = tx.registry.purge_deleted(cutoff)
                if versions or models:
                    ev.record(tx, self.clock.now_ms(), actor, ev.GcPurged(versions, models),
                              "store", "metadata")
        with self.store.read() as tx:
            referenced = tx.referenced_digests()
        deleted = freed = 0
        for digest, mtime in list(self.blobs.stored(actor)):
            if digest in referenced or mtime * 1000 > cutoff:
                continue
            size = self.blobs.size(actor, digest)
            if not dry_run:
                self.blobs.delete(actor, digest)
            deleted += 1
            freed += size
        stale_before = (self.clock.now_ms() - self.stale_upload_ms) / 1000
        temps, temp_bytes = self.blobs.sweep_temp(actor, stale_before, dry_run=dry_run)
        return GcReport(versions, models, deleted, freed, temps, dry_run, temp_bytes)
