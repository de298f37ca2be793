"""Content-addressed bytes, as the domain offers them: every byte path (the native
blob routes, MLflow's artifact routes, the in-process client, garbage collection)
goes through :class:`BlobService`, which receives the acting principal on every call
so a permission rule can apply to bytes as it does to rows.

Uploads are streamed and verified: a blob becomes visible only once its sha256 (and,
when announced, its length) match.  :meth:`BlobService.acting` binds a principal for
code that streams (``server/streaming.py`` takes an object with ``writer``,
``local_path``, ``size`` and ``read_chunks``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.manifests import check_stored
from modelyard.domain.ports import BlobStore, BlobWriter
from modelyard.domain.validation import check_digest
from modelyard.errors import InvalidParameter

MAX_DIGESTS = 100_000
#: A batch read serves at most this many blobs ...
MAX_BATCH_BLOBS = 1000
#: ... and at most this many bytes in all (it is meant for small files).
MAX_BATCH_BYTES = 64 << 20
#: A locate call answers for at most this many blobs ...
MAX_LOCATE = 1000
#: ... with URLs valid this long (seconds): long enough to start a large download
#: (a transfer begun before expiry runs to its end), short enough to be useless later.
PRESIGN_SECONDS = 900


@dataclass(frozen=True)
class BlobLocation:
    """Where a client reads a blob: ``url`` straight from the storage (presigned,
    valid ``expires_in`` seconds), or None: through the server's blob route."""

    sha256: str
    size: int
    url: str | None
    expires_in: int = 0


class BlobService:
    """``direct_reads`` off (the server's ``--proxy-artifacts``): :meth:`locate` never
    hands out a storage URL, so every byte goes through the server."""

    def __init__(self, store: BlobStore, *, direct_reads: bool = True) -> None:
        self.store = store
        self.direct_reads = direct_reads

    # -- questions --------------------------------------------------------------------
    def missing(self, actor: Principal, digests: list[str]) -> list[str]:
        """The digests not stored yet (in the order given, each once).  Asking also
        refreshes a present blob's time, so a collection spares what a client is
        about to reference."""
        if len(digests) > MAX_DIGESTS:
            raise InvalidParameter(f"at most {MAX_DIGESTS} digests per call")
        for d in digests:
            check_digest(d)
        return self.store.missing(digests)

    def exists(self, actor: Principal, digest: str) -> bool:
        return self.store.has(check_digest(digest))

    def size(self, actor: Principal, digest: str) -> int:
        return self.store.size(check_digest(digest))

    def check_present(self, actor: Principal, files: list[FileEntry]) -> None:
        """Every file of a manifest is stored, with the size the manifest says.  A
        commit checks with ``domain.manifests.check_blobs_present`` instead, inside its
        write transaction under the blob lock, which is what orders it against gc."""
        check_stored(self.store, files)

    # -- bytes in ---------------------------------------------------------------------
    def check_upload(self, actor: Principal) -> None:
        """Refuse ``actor`` if it may not upload (the rule of every byte path in)."""

    def writer(self, actor: Principal, digest: str | None, max_size: int) -> BlobWriter:
        """A streaming upload: ``write`` chunks, then ``commit`` (verifies the sha256,
        ``digest`` or the one computed when None) or ``abort``."""
        if digest is not None:
            check_digest(digest)
        return self.store.writer(digest, max_size)

    def put_file(self, actor: Principal, path: str, digest: str) -> int:
        """Store a local file under ``digest`` (verified); returns its size.  A blob
        already present is not written again."""
        return self.store.put_file(path, check_digest(digest))

    # -- bytes out --------------------------------------------------------------------
    def read_chunks(self, actor: Principal, digest: str, start: int = 0,
                    end: int | None = None) -> Iterator[bytes]:
        """The bytes of ``digest`` from ``start`` up to ``end`` (exclusive), streamed."""
        return self.store.read_chunks(check_digest(digest), start, end)

    def local_path(self, actor: Principal, digest: str) -> str | None:
        """A file the blob can be served from directly, when the store has one."""
        return self.store.local_path(check_digest(digest))

    def read_many(self, actor: Principal, digests: list[str]) -> BlobBatch:
        """Many (small) blobs in one go: each digest once, in the order first given,
        with its size.  Every digest is checked (and its size read) before a byte is
        served, so a missing or unreadable one fails the whole call up front."""
        unique = list(dict.fromkeys(check_digest(d) for d in digests))
        if not unique:
            raise InvalidParameter("digests: give at least one")
        if len(unique) > MAX_BATCH_BLOBS:
            raise InvalidParameter(f"digests: at most {MAX_BATCH_BLOBS} per batch read")
        sizes = [(d, self._readable_size(actor, d)) for d in unique]
        total = sum(size for _, size in sizes)
        if total > MAX_BATCH_BYTES:
            raise InvalidParameter(
                f"a batch read is for small files: {total} bytes asked, at most "
                f"{MAX_BATCH_BYTES}; download the large blobs one by one")
        return BlobBatch(tuple(sizes), self.store)

    def locate(self, actor: Principal, digests: list[str]) -> list[BlobLocation]:
        """Where to read each blob (each digest once, in the order first given), checked
        as a read is: a blob ``actor`` may not read fails the whole call as NotFound,
        before any URL is made.  URLs are signed locally by the store (no request)."""
        unique = list(dict.fromkeys(check_digest(d) for d in digests))
        if not unique:
            raise InvalidParameter("digests: give at least one")
        if len(unique) > MAX_LOCATE:
            raise InvalidParameter(f"digests: at most {MAX_LOCATE} per call")
        sizes = [(d, self._readable_size(actor, d)) for d in unique]
        out = []
        for d, size in sizes:
            url = self.store.presign_get(d, PRESIGN_SECONDS) if self.direct_reads else None
            out.append(BlobLocation(d, size, url, PRESIGN_SECONDS if url else 0))
        return out

    def _readable_size(self, actor: Principal, digest: str) -> int:
        """The size of a blob ``actor`` may read (the guarded service checks first)."""
        return self.store.size(digest)

    # -- maintenance (garbage collection) ---------------------------------------------
    def stored(self, actor: Principal) -> Iterator[tuple[str, float]]:
        """Every stored digest with its modification time (seconds)."""
        return self.store.iter_blobs()

    def stat(self, actor: Principal, digest: str) -> tuple[int, float] | None:
        """(size, modification time in seconds) of a stored blob; None when absent."""
        return self.store.stat(check_digest(digest))

    def delete(self, actor: Principal, digest: str) -> None:
        self.store.delete(check_digest(digest))

    def sweep_temp(self, actor: Principal, older_than: float, *,
                   dry_run: bool = False) -> tuple[int, int]:
        """Remove (or with ``dry_run`` count) abandoned partial uploads that received no
        bytes since ``older_than`` (epoch seconds): (files, bytes)."""
        return self.store.sweep_temp(older_than, dry_run=dry_run)

    def acting(self, actor: Principal) -> ActingBlobs:
        return ActingBlobs(self, actor)


class BlobBatch:
    """What :meth:`BlobService.read_many` granted: ``items`` (digest, size), in order,
    and their bytes through :meth:`chunks` (checked already; not checked again)."""

    def __init__(self, items: tuple[tuple[str, int], ...], store: BlobStore) -> None:
        self.items = items
        self._granted = frozenset(d for d, _ in items)
        self._store = store

    def chunks(self, digest: str) -> Iterator[bytes]:
        if digest not in self._granted:
            raise InvalidParameter(f"blob {digest} is not part of this batch")
        return self._store.read_chunks(digest)


class ActingBlobs:
    """The blob service with the principal bound, for streaming helpers."""

    def __init__(self, service: BlobService, actor: Principal) -> None:
        self.service = service
        self.actor = actor

    def writer(self, digest: str | None, max_size: int) -> BlobWriter:
        return self.service.writer(self.actor, digest, max_size)

    def local_path(self, digest: str) -> str | None:
        return self.service.local_path(self.actor, digest)

    def size(self, digest: str) -> int:
        return self.service.size(self.actor, digest)

    def read_chunks(self, digest: str, start: int = 0,
                    end: int | None = None) -> Iterator[bytes]:
        return self.service.read_chunks(self.actor, digest, start, end)

    def read_many(self, digests: list[str]) -> BlobBatch:
        return self.service.read_many(self.actor, digests)
