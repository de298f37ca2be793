"""The blob store as the domain trusts it.

An upload session that completes in place (``BlobStore.in_place``: S3, where parts are
assembled under the blob's own key by a conditional write, instead of being copied
there) leaves bytes under the key that are not verified until the read-back has
passed.  Meanwhile, and after a crash until ``gc`` has settled the session, the digest
must not count as stored: a client asking which blobs are missing would otherwise skip
sending it, and a version could be committed on it.  :class:`VerifiedBlobs` answers
every question of presence (``has``, ``missing``, ``sizes``, ``size``, ``stat``) as the
store does, less the digests a session is verifying; everything else is the store's.
A question about blobs the store does not hold costs nothing more; one about held
blobs costs one indexed read of the upload sessions.

It also remembers, for :data:`REMEMBER_S` seconds, the blobs this process has just
written (a writer whose ``created`` says the bytes were new), so that committing a
version of files sent a moment ago does not ask the storage about each again (one
request per file on object storage).  That is safe because ``gc`` removes only blobs
older than its grace period (an hour at least unless forced) and nothing else removes
a blob; a forced shorter grace is already documented as able to remove uploads in
flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from modelyard.domain.ports import BlobStore, BlobWriter
from modelyard.errors import NotFound


#: How long a blob this process wrote counts as stored without asking the storage.
REMEMBER_S = 300.0
#: The most blobs remembered (then the oldest half is forgotten).
REMEMBER_MAX = 200_000


class VerifiedBlobs:
    def __init__(self, store: BlobStore, verifying: Callable[[list[str]], set[str]],
                 *, remember_s: float = REMEMBER_S) -> None:
        self.store = store
        self.verifying = verifying
        self.scheme: str = getattr(store, "scheme", "file")
        self.remember_s = remember_s
        self._written: dict[str, tuple[int, float]] = {}  # digest -> (size, until)
        self._lock = threading.Lock()

    def remember(self, digest: str, size: int) -> None:
        if self.remember_s <= 0:
            return
        with self._lock:
            if len(self._written) >= REMEMBER_MAX:
                for d in list(self._written)[:REMEMBER_MAX // 2]:
                    del self._written[d]
            self._written[digest] = (size, time.monotonic() + self.remember_s)

    def _recent(self, digests: list[str]) -> dict[str, int]:
        now = time.monotonic()
        out = {}
        for d in digests:
            hit = self._written.get(d)
            if hit is not None and hit[1] > now:
                out[d] = hit[0]
        return out

    # -- presence, less what is being verified ----------------------------------------
    def has(self, digest: str) -> bool:
        return bool(self.sizes([digest]))

    def missing(self, digests: Iterable[str]) -> list[str]:
        wanted = list(dict.fromkeys(digests))
        recent = self._recent(wanted)
        absent = self.store.missing([d for d in wanted if d not in recent])
        gone = set(absent)
        held = [d for d in wanted if d not in gone]
        busy = self.verifying(held) if held else set()
        return absent + [d for d in held if d in busy]

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(digests))
        found = self._recent(wanted)
        rest = [d for d in wanted if d not in found]
        if rest:
            found.update(self.store.sizes(rest))
        busy = self.verifying(list(found)) if found else set()
        return {d: n for d, n in found.items() if d not in busy}

    def size(self, digest: str) -> int:
        if self.verifying([digest]):
            raise NotFound(f"blob {digest} does not exist")
        return self.store.size(digest)

    def stat(self, digest: str) -> tuple[int, float] | None:
        found = self.store.stat(digest)
        return None if found is None or self.verifying([digest]) else found

    # -- the rest is the store's ------------------------------------------------------
    def writer(self, digest: str | None, max_size: int) -> BlobWriter:
        return _Remembered(self.store.writer(digest, max_size), self)

    def put_file(self, path: str, digest: str) -> int:
        return self.store.put_file(path, digest)

    def open(self, digest: str) -> BinaryIO:
        return self.store.open(digest)

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = 1 << 20) -> Iterator[bytes]:
        return self.store.read_chunks(digest, start, end, chunk_size)

    def local_path(self, digest: str) -> str | None:
        return self.store.local_path(digest)

    def presign_get(self, digest: str, expires_s: int) -> str | None:
        return self.store.presign_get(digest, expires_s)

    def delete(self, digest: str) -> None:
        self.store.delete(digest)

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        return self.store.iter_blobs()

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        return self.store.sweep_temp(older_than, dry_run=dry_run)

    def multipart_start(self, upload_id: str, parts: int, *,
                        part_checksums: bool = True, digest: str | None = None) -> str:
        return self.store.multipart_start(upload_id, parts, part_checksums=part_checksums,
                                          digest=digest)

    def in_place(self, handle: str) -> bool:
        return self.store.in_place(handle)

    def multipart_put(self, handle: str, part: int, data: bytes, sha256: str) -> None:
        self.store.multipart_put(handle, part, data, sha256)

    def multipart_parts(self, handle: str) -> dict[int, int]:
        return self.store.multipart_parts(handle)

    def multipart_presign(self, handle: str, part: int, sha256: str | None,
                          size: int | None, expires_s: int) -> tuple[str, dict[str, str]] | None:
        return self.store.multipart_presign(handle, part, sha256, size, expires_s)

    def multipart_complete(self, handle: str, parts: int, digest: str | None,
                           size: int | None, max_size: int) -> tuple[str, int]:
        return self.store.multipart_complete(handle, parts, digest, size, max_size)

    def multipart_abort(self, handle: str) -> None:
        self.store.multipart_abort(handle)


class _Remembered:
    """A store's writer whose new blob :class:`VerifiedBlobs` remembers on commit."""

    def __init__(self, inner: BlobWriter, owner: VerifiedBlobs) -> None:
        self.inner = inner
        self.owner = owner

    @property
    def digest(self) -> str | None:
        return self.inner.digest

    @digest.setter
    def digest(self, value: str | None) -> None:
        self.inner.digest = value

    @property
    def created(self) -> bool:
        return bool(getattr(self.inner, "created", True))

    def write(self, chunk: bytes) -> None:
        self.inner.write(chunk)

    def commit(self, expected_size: int | None = None) -> int:
        size = self.inner.commit(expected_size)
        if getattr(self.inner, "created", False) and self.inner.digest:
            self.owner.remember(self.inner.digest, size)
        return size

    def abort(self) -> None:
        self.inner.abort()
