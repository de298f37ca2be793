"""Blobs in a local folder: ``<root>/sha256/ab/cdef...``.

A write goes to ``<root>/tmp/<random>.part``, is hashed as it streams, fsynced,
checked against the expected digest and size, and only then renamed into place (atomic
on one file system).  A reader never sees a partial blob; retrying any step is safe.

Modes do not depend on the umask: the folders are ``0700``, a partial upload ``0600``,
a stored blob read-only ``0400``.  A partial upload that received no write for longer
than the stale age (a setting) was abandoned by a killed process; ``sweep_temp``
removes those and never one written to recently.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from modelyard.artifacts.paths import safe_join
from modelyard.artifacts.base import put_file, verify_upload
from modelyard.artifacts.local_parts import LocalPartSessions, disk_full
from modelyard.domain.validation import check_digest
from modelyard.errors import NotFound, PayloadTooLarge

CHUNK = 1 << 20
DIR_MODE = 0o700
PART_MODE = 0o600
BLOB_MODE = 0o400
PARALLEL_HASH = 1 << 20
# One thread for hashing large chunks next to their file write (shared, idle mostly).
_HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="modelyard-hash")


class LocalBlobWriter:
    """``digest`` is the expected sha256, or None when the client does not know it
    (MLflow's artifact PUT): the blob is then stored under the digest computed."""

    def __init__(self, store: LocalBlobStore, digest: str | None, max_size: int) -> None:
        self.store = store
        self.digest = digest
        self.max_size = max_size
        self.size = 0
        self.hash = hashlib.sha256()
        self.tmp = store.tmp_dir / f"{(digest or 'upload')[:16]}.{secrets.token_hex(8)}.part"
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PART_MODE)
        self.fh = open(fd, "wb", buffering=0)  # noqa: SIM115 - closed in commit/abort

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_size:
            self.abort()
            raise PayloadTooLarge(f"blob is larger than the limit of {self.max_size} bytes")
        try:
            if len(chunk) >= PARALLEL_HASH:
                # Hash in a helper thread while this one writes: both release the GIL.
                pending = _HASHER.submit(self.hash.update, chunk)
                try:
                    self.fh.write(chunk)
                finally:
                    pending.result()
            else:
                self.hash.update(chunk)
                self.fh.write(chunk)
        except OSError as exc:
            self.abort()
            raise disk_full(exc) or exc from None

    def commit(self, expected_size: int | None = None) -> int:
        try:
            actual = self.hash.hexdigest()
            verify_upload(self.digest, actual, self.size, expected_size)
            self.digest = actual
            os.fchmod(self.fh.fileno(), BLOB_MODE)
            os.fsync(self.fh.fileno())
            self.fh.close()
            final = self.store.blob_path(self.digest)
            final.parent.mkdir(mode=DIR_MODE, exist_ok=True)
            os.replace(self.tmp, final)
            return self.size
        except OSError as exc:
            self.abort()
            raise disk_full(exc) or exc from None
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        self.tmp.unlink(missing_ok=True)


class LocalBlobStore:
    scheme = "file"

    def __init__(self, root: str) -> None:
        self.root = Path(root).resolve()
        self.tmp_dir = self.root / "tmp"
        self.uploads_dir = self.root / "uploads"
        for folder in (self.root, self.tmp_dir, self.root / "sha256", self.uploads_dir):
            make_private_dir(folder)
        self._parts = LocalPartSessions(self.uploads_dir, self.blob_path)

    def blob_path(self, digest: str) -> Path:
        check_digest(digest)
        return safe_join(self.root, f"sha256/{digest[:2]}/{digest[2:]}")

    def has(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def missing(self, digests: Iterable[str]) -> list[str]:
        seen: set[str] = set()
        out = []
        for d in digests:
            if d in seen:
                continue
            seen.add(d)
            path = self.blob_path(d)
            try:
                # Refresh the time of a blob a client is about to reference, so that a
                # garbage collection running now keeps it for another grace period.
                os.utime(path)
            except FileNotFoundError:
                out.append(d)
        return out

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in dict.fromkeys(digests):
            path = self.blob_path(d)
            try:
                os.utime(path)  # as missing(): a blob about to be referenced stays
                out[d] = path.stat().st_size
            except FileNotFoundError:
                pass
        return out

    def size(self, digest: str) -> int:
        try:
            return self.blob_path(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob {digest} does not exist") from None

    def writer(self, digest: str | None, max_size: int) -> LocalBlobWriter:
        if digest is not None:
            check_digest(digest)
        return LocalBlobWriter(self, digest, max_size)

    def put_file(self, path: str, digest: str) -> int:
        return put_file(self, path, digest)

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.blob_path(digest), "rb")  # noqa: SIM115 - caller closes
        except FileNotFoundError:
            raise NotFound(f"blob {digest} does not exist") from None

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = CHUNK) -> Iterator[bytes]:
        with self.open(digest) as fh:
            fh.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                n = chunk_size if remaining is None else min(chunk_size, remaining)
                chunk = fh.read(n)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def local_path(self, digest: str) -> str | None:
        path = self.blob_path(digest)
        return str(path) if path.is_file() else None

    def presign_get(self, digest: str, expires_s: int) -> str | None:
        return None  # a folder on the server: the server itself serves the bytes

    def delete(self, digest: str) -> None:
        self.blob_path(digest).unlink(missing_ok=True)

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        base = self.root / "sha256"
        for sub in sorted(base.iterdir()):
            if not sub.is_dir() or len(sub.name) != 2:
                continue
            for f in sub.iterdir():
                digest = sub.name + f.name
                if len(digest) == 64:
                    yield digest, f.stat().st_mtime

    def stat(self, digest: str) -> tuple[int, float] | None:
        try:
            st = self.blob_path(digest).stat()
        except FileNotFoundError:
            return None
        return st.st_size, st.st_mtime

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Partial uploads last written before ``older_than`` (epoch seconds): count and
        bytes, removed unless ``dry_run``.  One written to since is in flight: kept.
        An upload session's removal cut short by a killed process is finished too."""
        files, size = self._parts.sweep_trash(dry_run=dry_run)
        for f in self.tmp_dir.iterdir():
            try:
                st = f.stat()
                if st.st_mtime >= older_than:
                    continue
                if not dry_run:
                    f.unlink()
            except FileNotFoundError:
                continue
            files += 1
            size += st.st_size
        return files, size


    # -- multipart: parts written in place under <root>/uploads/ (local_parts) --------
    def multipart_start(self, upload_id: str, parts: int, *,
                        part_checksums: bool = True) -> str:
        return self._parts.start(upload_id, parts)

    def multipart_put(self, handle: str, part: int, data: bytes, sha256: str | None) -> None:
        self._parts.put(handle, part, data)  # the caller checked ``sha256`` already

    def multipart_parts(self, handle: str) -> dict[int, int]:
        return self._parts.received(handle)

    def multipart_presign(self, handle: str, part: int, sha256: str | None,
                          size: int | None, expires_s: int) -> tuple[str, dict[str, str]] | None:
        return None  # parts of a local folder go through the server

    def multipart_complete(self, handle: str, parts: int, digest: str | None,
                           size: int | None, max_size: int) -> tuple[str, int]:
        """Every part is already in place in one file: it is hashed (once), verified
        and renamed to the blob's path."""
        return self._parts.complete(handle, parts, digest, size, max_size)

    def multipart_abort(self, handle: str) -> None:
        self._parts.abort(handle)


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (and missing parents) with mode 0700 whatever the umask; a
    folder that exists already keeps its mode."""
    if folder.is_dir():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    os.chmod(folder, DIR_MODE)
