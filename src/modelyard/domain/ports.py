"""What the domain needs from the outside, as Protocols.

- :class:`MetadataStore` opens transactions (``read()`` / ``write()``); a transaction
  exposes one repository per aggregate, each a Protocol (in
  :mod:`~modelyard.domain.repositories` and :mod:`~modelyard.domain.tracking_repositories`)
  that takes and returns frozen records (:mod:`modelyard.domain.records`) or entities,
  never rows.
  Implemented by ``store/sql_store.py``; :mod:`modelyard.testing.metadata` is the
  behaviour every implementation must have.
- :class:`BlobStore` keeps content-addressed bytes.  Implemented in ``artifacts/``.
- :class:`Clock` gives the time, so tests can pass a fixed one.

Repositories are only called inside a transaction.  Writes on one model (or run,
experiment, logged model) first take that row's lock (``touch_model``,
``run(lock=True)`` ...), which orders concurrent writers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol

from modelyard.domain.access_repositories import AccessRepository
from modelyard.domain.dvc_repositories import DvcRepository
from modelyard.domain.governance_repositories import GovernanceRepository
from modelyard.domain.identity_repositories import IdentityRepository
from modelyard.domain.repositories import (
    AliasRepository,
    EventRepository,
    ModelRepository,
    ProjectRepository,
    RegistryRepository,
    VersionRepository,
)
from modelyard.domain.tracking_repositories import (
    DatasetRepository,
    ExperimentRepository,
    LineageRepository,
    LoggedModelRepository,
    MetricRepository,
    RunRepository,
    TrackingRepository,
)

__all__ = [
    "AccessRepository", "AliasRepository", "BlobStore", "BlobWriter", "Clock", "DatasetRepository",
    "EventRepository", "ExperimentRepository", "GovernanceRepository", "LineageRepository", "LoggedModelRepository",
    "MetadataStore", "MetricRepository", "ModelRepository", "ProjectRepository",
    "RegistryRepository", "RunRepository", "SystemClock", "TrackingRepository", "Transaction",
    "VersionRepository",
]


class Transaction(Protocol):
    """One transaction; a repository per aggregate."""

    @property
    def registry(self) -> RegistryRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def tracking(self) -> TrackingRepository: ...

    @property
    def datasets(self) -> DatasetRepository: ...

    @property
    def lineage(self) -> LineageRepository: ...

    @property
    def logged_models(self) -> LoggedModelRepository: ...

    @property
    def access(self) -> AccessRepository: ...

    @property
    def dvc(self) -> DvcRepository: ...

    @property
    def governance(self) -> GovernanceRepository: ...

    @property
    def identity(self) -> IdentityRepository: ...

    def referenced_digests(self) -> set[str]:
        """Every blob digest some manifest points at (for garbage collection)."""
        ...

    def lock_blobs(self, *, exclusive: bool = False) -> None:
        """Hold the blob lock until the transaction ends.  A write transaction that
        commits a manifest holds it shared from before it checks the manifest's blobs;
        garbage collection holds it exclusively while it re-checks and deletes blobs,
        so no blob a commit has checked is deleted before that commit is visible.
        Must be the first statement of its transaction."""
        ...


class MetadataStore(Protocol):
    dialect: str

    def read(self) -> AbstractContextManager[Transaction]: ...

    def write(self) -> AbstractContextManager[Transaction]: ...

    def dispose(self) -> None: ...


class BlobWriter(Protocol):
    """An upload in progress: bytes go to a temporary file, become visible on commit.
    ``digest`` is the expected sha256 given to ``BlobStore.writer`` or, when that was
    None, the one computed (set by ``commit``)."""

    digest: str | None

    def write(self, chunk: bytes) -> None: ...

    def commit(self, expected_size: int | None = None) -> int: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    def has(self, digest: str) -> bool: ...

    def missing(self, digests: Iterable[str]) -> list[str]: ...

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        """The size of each stored blob of ``digests`` (a missing one is absent), in
        one pass; refreshes each found blob's time, as :meth:`missing` does."""
        ...

    def size(self, digest: str) -> int: ...

    def writer(self, digest: str | None, max_size: int) -> BlobWriter: ...

    def put_file(self, path: str, digest: str) -> int: ...

    def open(self, digest: str) -> BinaryIO: ...

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = 1 << 20) -> Iterator[bytes]: ...

    def local_path(self, digest: str) -> str | None: ...

    def presign_get(self, digest: str, expires_s: int) -> str | None:
        """A short-lived URL a client can GET the blob's bytes from (Range allowed),
        straight from the storage; None when this store cannot hand one out."""
        ...

    def delete(self, digest: str) -> None: ...

    def iter_blobs(self) -> Iterator[tuple[str, float]]: ...

    def stat(self, digest: str) -> tuple[int, float] | None:
        """(size, modification time in epoch seconds) of a stored blob, None if absent."""
        ...

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Partial uploads with no write since ``older_than`` (epoch seconds): their
        count and bytes, removed (aborted on S3) unless ``dry_run``.  The parts of
        upload sessions are not partial uploads: their session's expiry removes them."""
        ...

    # -- multipart (upload sessions, ``domain/uploads.py``) ----------------------------
    def multipart_start(self, upload_id: str, parts: int, *,
                        part_checksums: bool = True) -> str:
        """Begin receiving the parts of upload ``upload_id``; returns the store's handle
        of it (kept by the session).  Without ``part_checksums`` the parts will come
        with no checksum of their own (MLflow's client sends none)."""
        ...

    def multipart_put(self, handle: str, part: int, data: bytes, sha256: str | None) -> None:
        """Store part ``part`` (1-based; sent again, it replaces the first), whose
        sha256 the caller checked; the storage checks it again where it can.  None
        when nobody announced one: a storage that takes parts with a checksum computes
        it, the others store the part as it is (the whole is verified at completion)."""
        ...

    def multipart_parts(self, handle: str) -> dict[int, int]:
        """The parts stored so far: number -> size."""
        ...

    def multipart_presign(self, handle: str, part: int, sha256: str | None,
                          size: int | None, expires_s: int) -> tuple[str, dict[str, str]] | None:
        """A short-lived URL and headers to PUT the part straight to the storage (the
        part's checksum bound to it where the storage can check one); None when the
        store cannot presign (a local folder, or no signing credentials)."""
        ...

    def multipart_complete(self, handle: str, parts: int, digest: str | None,
                           size: int | None, max_size: int) -> tuple[str, int]:
        """Assemble parts 1..``parts`` and verify the whole sha256 (``digest``, or the
        one computed when None) and size before the blob becomes visible under it;
        returns (sha256, size), the parts removed.  Raises ``DigestMismatch`` storing
        nothing; ``NotFound`` when a part is missing."""
        ...

    def multipart_abort(self, handle: str) -> None:
        """Forget the upload and its parts (idempotent)."""
        ...


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
