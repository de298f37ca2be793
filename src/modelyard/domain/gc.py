"""Garbage collection: purge soft-deleted rows, then delete the blobs nothing references
(through the blob service, like every byte path), then abandoned partial uploads.

What a collection never deletes, on every database and with any number of server
processes:

- **a blob a committed manifest references.**  A blob is deleted only if, re-checked in
  a write transaction that holds the blob lock *exclusively*, no manifest (model
  version, run artifact, dataset version, logged model) references it;
- **a blob a commit in progress is about to reference.**  Every manifest commit takes
  the same lock *shared*, as the first statement of its write transaction, and checks
  (and touches) its blobs only then.  The lock is a row of the ``locks`` table held
  ``FOR SHARE`` / ``FOR UPDATE`` on PostgreSQL and MySQL/MariaDB, and the database's
  write lock (``BEGIN IMMEDIATE``) on SQLite.  So either the commit's check ran before
  a delete batch, and then the batch waits for the commit and sees its manifest; or
  it runs after, finds the blob gone and refuses cleanly ("not uploaded": the client
  uploads it again).  A READY version with a deleted file cannot come out of it;
- **a blob younger than the grace period.**  Its time is re-read under the lock just
  before the delete, so a blob the missing-digests call or a commit touched after the
  listing is spared.  The grace period is at least an hour (:data:`GRACE_FLOOR_SECONDS`)
  unless the caller passes ``force``: a shorter one would delete blobs a client has
  uploaded and not committed yet;
- **an upload in flight.**  Partial uploads are judged by their own age
  (``stale_upload_seconds``, whatever the grace): one that received no bytes for that
  long was abandoned and is removed; one written to since is kept.

A dry run does the same work and stops short of each change: the purge runs in a
transaction that is rolled back, so the blobs it would free are counted exactly as the
run right after would delete them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from modelyard.domain import events as ev
from modelyard.domain.blobs import BlobService
from modelyard.domain.entities import Principal
from modelyard.domain.ports import Clock, MetadataStore, SystemClock
from modelyard.errors import InvalidParameter, PermissionDenied

GRACE_FLOOR_SECONDS = 3600
DELETE_BATCH = 500


@dataclass(frozen=True)
class GcReport:
    versions_purged: int
    models_purged: int
    blobs_deleted: int
    bytes_freed: int
    temp_files_removed: int
    dry_run: bool
    temp_bytes_freed: int = 0
    upload_sessions_expired: int = 0

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


class _RollBack(Exception):
    """Ends the purge transaction of a dry run without committing it."""


def check_grace(grace_seconds: int, *, force: bool) -> int:
    """A grace period that cannot delete what a client is about to commit: at least
    :data:`GRACE_FLOOR_SECONDS`, or anything from 0 with ``force``."""
    if grace_seconds < 0:
        raise InvalidParameter("grace_seconds must be 0 or more")
    if grace_seconds < GRACE_FLOOR_SECONDS and not force:
        raise InvalidParameter(
            f"grace_seconds below {GRACE_FLOOR_SECONDS} (one hour) can delete blobs that "
            "were uploaded and not committed yet; pass force to allow it")
    return grace_seconds


class GcService:
    def __init__(self, store: MetadataStore, blobs: BlobService, clock: Clock | None = None,
                 grace_seconds: int = 86400, *, stale_upload_seconds: int = 900,
                 sessions: Callable[..., int] | None = None) -> None:
        self.store = store
        self.sessions = sessions  # aborts expired upload sessions (domain/uploads.py)
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.grace_seconds = grace_seconds
        self.stale_upload_ms = stale_upload_seconds * 1000

    def collect(self, actor: Principal, *, dry_run: bool = False,
                grace_seconds: int | None = None, force: bool = False) -> GcReport:
        if not actor.is_admin and actor.name != "anonymous":
            raise PermissionDenied("garbage collection needs an admin")
        grace = (self.grace_seconds if grace_seconds is None
                 else check_grace(grace_seconds, force=force))
        cutoff = self.clock.now_ms() - grace * 1000
        versions, models, referenced = self._purge(actor, cutoff, dry_run)
        candidates = [digest for digest, mtime in list(self.blobs.stored(actor))
                      if digest not in referenced and mtime * 1000 <= cutoff]
        deleted = freed = 0
        for start in range(0, len(candidates), DELETE_BATCH):
            n, size = self._delete(actor, candidates[start:start + DELETE_BATCH], cutoff,
                                   dry_run)
            deleted += n
            freed += size
        stale_before = (self.clock.now_ms() - self.stale_upload_ms) / 1000
        temps, temp_bytes = self.blobs.sweep_temp(actor, stale_before, dry_run=dry_run)
        sessions = self.sessions(dry_run=dry_run) if self.sessions is not None else 0
        return GcReport(versions, models, deleted, freed, temps, dry_run, temp_bytes, sessions)

    def _purge(self, actor: Principal, cutoff: int,
               dry_run: bool) -> tuple[int, int, set[str]]:
        """Purge rows soft-deleted before ``cutoff`` (rolled back on a dry run): the
        counts and the digests still referenced once they are gone."""
        try:
            with self.store.write() as tx:
                versions, models = tx.registry.purge_deleted(cutoff)
                referenced = tx.referenced_digests()
                if dry_run:
                    raise _RollBack
                if versions or models:
                    ev.record(tx, self.clock.now_ms(), actor, ev.GcPurged(versions, models),
                              "store", "metadata")
        except _RollBack:
            pass
        return versions, models, referenced

    def _delete(self, actor: Principal, batch: Sequence[str], cutoff: int,
                dry_run: bool) -> tuple[int, int]:
        """Delete the blobs of ``batch`` that are still unreferenced and old, re-checked
        under the exclusive blob lock: (blobs, bytes).  A dry run counts them instead
        (the references it goes by are those of its rolled-back purge)."""
        deleted = freed = 0
        if dry_run:
            for digest in batch:
                st = self.blobs.stat(actor, digest)
                if st is not None and st[1] * 1000 <= cutoff:
                    deleted += 1
                    freed += st[0]
            return deleted, freed
        with self.store.write() as tx:
            tx.lock_blobs(exclusive=True)
            referenced = tx.referenced_digests()
            for digest in batch:
                if digest in referenced:
                    continue  # committed since the listing
                st = self.blobs.stat(actor, digest)
                if st is None or st[1] * 1000 > cutoff:
                    continue  # gone, or touched since the listing
                self.blobs.delete(actor, digest)
                deleted += 1
                freed += st[0]
        return deleted, freed
