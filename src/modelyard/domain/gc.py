"""Garbage collection: purge soft-deleted rows, then blobs nothing references.

Both only touch what is older than the grace period.  A blob a client is about to
reference has its time refreshed by the missing-digests call, and a fresh upload is
young, so a collection never races an upload in flight.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain import events as ev
from modelyard.domain.entities import Principal
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock
from modelyard.errors import PermissionDenied


@dataclass(frozen=True)
class GcReport:
    versions_purged: int
    models_purged: int
    blobs_deleted: int
    bytes_freed: int
    temp_files_removed: int
    dry_run: bool

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class GcService:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None,
                 grace_seconds: int = 86400) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.grace_ms = grace_seconds * 1000

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
        for digest, mtime in list(self.blobs.iter_blobs()):
            if digest in referenced or mtime * 1000 > cutoff:
                continue
            size = self.blobs.size(digest)
            if not dry_run:
                self.blobs.delete(digest)
            deleted += 1
            freed += size
        temps = 0 if dry_run else self.blobs.sweep_temp(cutoff / 1000)
        return GcReport(versions, models, deleted, freed, temps, dry_run)
