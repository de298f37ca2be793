"""Multipart uploads into a local folder, each part written in place.

A session is the folder ``<root>/uploads/<upload id>-<parts>/`` (its handle is
``<upload id>-<parts>``).  Its parts are written straight into one file, ``data``, at
their offsets, so completion reads the bytes once (to hash them) and renames the file
into place: no second copy of a large upload.  To know a part's offset, every part but
the last has one size, learnt from the first of them to arrive (the file ``size``);
a part of another size is refused.  The last part arrives before that size is known
when the parts come out of order: it then waits in the file ``last`` and is copied in
at completion.

What was received is told by markers, ``NNNNN.len`` (the part's length and a token
new with every write), written atomically after the part's bytes and removed before a
part is written again, so a part cut off half-way is missing, never present with half
its bytes.  The process that writes the parts hashes them in order as they become
whole (``running_hash``), so that completion reads only what was not hashed yet.

Writers of one part are serialised by ``flock`` on ``NNNNN.lock``; every writer then
holds ``data`` shared and completion holds it exclusive, so completion sees no part
half-written and a part sent after completion finds the session gone (checked by the
inode of the file it locked).  A failed completion leaves the session as it was, to be
completed again or aborted.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from modelyard.artifacts.base import verify_upload
from modelyard.artifacts.running_hash import HASH_CHUNK, RunningHashes, TokenOf, sha256_from
from modelyard.errors import InsufficientStorage, InvalidParameter, NotFound, PayloadTooLarge

if sys.platform != "win32":  # the server's local folder needs POSIX locks and pwrite
    import fcntl

FILE_MODE = 0o600
DONE_MODE = 0o400
#: The most parts of a session (as ``domain/uploads.py`` allows).
_MAX_PARTS = 10_000
#: ``<upload id>-<parts>``: an upload id is 32 hex digits, parts 1 to 10,000.
_HANDLE = re.compile(r"[0-9a-f]{32}-([1-9][0-9]{0,4})")
#: The handle of a session opened before this layout (its folder held a file a part).
_OLD_HANDLE = re.compile(r"[0-9a-f]{32}")
#: Where a session's folder is moved to be removed: whoever resolves a path in it later
#: finds nothing, and a removal cut short is finished by ``sweep_trash``.
TRASH = ".trash-"
# fsync of an assembled upload runs here while the caller's thread hashes it.
_SYNCER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="modelyard-fsync")


def _gone() -> NotFound:
    return NotFound("upload session does not exist")


def disk_full(exc: OSError) -> InsufficientStorage | None:
    """The error to answer for a write the disk refused for lack of space, else None."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientStorage("the storage folder is full (or over its quota); "
                                   "nothing of this write was kept")
    return None


class LocalPartSessions:
    """The multipart methods of :class:`~modelyard.artifacts.local.LocalBlobStore`."""

    def __init__(self, uploads_dir: Path, blob_path: Callable[[str], Path]) -> None:
        self.uploads_dir = uploads_dir
        self._blob_path = blob_path
        self._hashes = RunningHashes()

    # -- handles ----------------------------------------------------------------------
    def _session(self, handle: str) -> tuple[Path, int]:
        found = _HANDLE.fullmatch(handle)
        if found is None or int(found[1]) > _MAX_PARTS:
            raise _gone()
        return self.uploads_dir / handle, int(found[1])

    def start(self, upload_id: str, parts: int) -> str:
        if not 1 <= parts <= _MAX_PARTS:
            raise InvalidParameter(f"an upload has 1 to {_MAX_PARTS} parts")
        handle = f"{upload_id}-{parts}"
        folder, _ = self._session(handle)
        folder.mkdir()
        os.chmod(folder, 0o700)  # whatever the umask
        fd = os.open(folder / "data", os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
        return handle

    # -- parts ------------------------------------------------------------------------
    def put(self, handle: str, part: int, data: bytes) -> None:
        folder, parts = self._session(handle)
        if not 1 <= part <= parts:
            raise InvalidParameter(f"part must be between 1 and {parts}")
        if part < parts and not data:
            raise InvalidParameter("only the last part may be empty")
        try:
            self._put(folder, parts, part, data)
        except (FileNotFoundError, NotADirectoryError):
            raise _gone() from None  # aborted while the part was written
        except OSError as exc:  # the part's marker was removed first: it is missing
            raise disk_full(exc) or exc from None

    def _put(self, folder: Path, parts: int, part: int, data: bytes) -> None:
        last = part == parts
        if parts == 1:  # one part: the session's own lock is enough
            with _locked(folder / "data", os.O_WRONLY, fcntl.LOCK_EX) as fd:
                self._write(folder, fd, part, data, 0)
            return
        with _locked(folder / f"{part:05d}.lock", os.O_WRONLY | os.O_CREAT, fcntl.LOCK_EX), \
                _locked(folder / "data", os.O_RDWR, fcntl.LOCK_SH) as fd:
            size = _read_int(folder / "size")
            if not last:
                if size is None:
                    size = _settle_size(folder, len(data))
                if len(data) != size:
                    raise InvalidParameter(
                        f"part {part} has {len(data)} bytes; on this server every part but "
                        f"the last has one size, and this upload's is {size}")
                self._write(folder, fd, part, data, (part - 1) * size)
                self._hashes.feed(folder.name, fd, part, parts, size, _tokens(folder))
            elif size is None:  # the last part, before the size is known: set aside
                self._write(folder, fd, part, data, None)
            else:  # in place now that the size is known; a copy set aside is stale
                self._write(folder, fd, part, data, (part - 1) * size, stale_aside=True)

    def _write(self, folder: Path, fd: int, part: int, data: bytes, offset: int | None, *,
               stale_aside: bool = False) -> None:
        """The part's bytes at ``offset`` of ``data``, or in the side file ``last`` when
        None, between removing its marker and writing it anew."""
        marker = folder / f"{part:05d}.len"
        marker.unlink(missing_ok=True)
        if offset is None:
            _write_atomic(folder / "last", data)
        else:
            _pwrite_all(fd, data, offset)
        if stale_aside:
            (folder / "last").unlink(missing_ok=True)
        _write_atomic(marker, f"{len(data)} {secrets.token_hex(8)}")

    def received(self, handle: str) -> dict[int, int]:
        """Part number -> length of the parts held; NotFound for a session of the old
        layout, which cannot be resumed (its caller opens a new one)."""
        if _OLD_HANDLE.fullmatch(handle):
            raise _gone()
        folder, parts = self._session(handle)
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return {}
        out = {}
        for name in names:
            if name.endswith(".len") and name[:5].isdigit() and len(name) == 9:
                length, _ = _marker(folder, int(name[:5]))
                if length is not None:
                    out[int(name[:5])] = length
        return out

    # -- the end ----------------------------------------------------------------------
    def complete(self, handle: str, parts: int, digest: str | None, size: int | None,
                 max_size: int) -> tuple[str, int]:
        """Check that every part is there, hash the file, verify, and rename it to the
        blob's path; the session is removed only then.  An abort while this runs wins:
        NotFound, and nothing visible."""
        folder, held_parts = self._session(handle)
        if parts != held_parts:
            raise InvalidParameter(f"this upload has {held_parts} parts, not {parts}")
        try:
            digest_and_size = self._complete(folder, parts, digest, size, max_size)
        except (FileNotFoundError, NotADirectoryError):
            raise _gone() from None
        except OSError as exc:  # nothing was renamed: the session is as it was
            raise disk_full(exc) or exc from None
        self._remove(folder)
        return digest_and_size

    def _complete(self, folder: Path, parts: int, digest: str | None, size: int | None,
                  max_size: int) -> tuple[str, int]:
        with _locked(folder / "data", os.O_RDWR, fcntl.LOCK_EX) as fd:
            held = self.received(folder.name)
            if any(n not in held for n in range(1, parts + 1)):
                raise NotFound("a part of the upload is missing")
            part_size = held[1] if parts > 1 else 0
            if any(held[n] != part_size for n in range(1, parts)):
                raise InvalidParameter("the parts of the upload do not have one size")
            total = (parts - 1) * part_size + held[parts]
            if total > max_size:
                raise PayloadTooLarge(f"blob is larger than the limit of {max_size} bytes")
            aside = folder / "last"
            if aside.exists():
                _copy_in(aside, fd, (parts - 1) * part_size)
            os.ftruncate(fd, total)
            hasher, start = self._hashes.take(folder.name, _tokens(folder))
            synced = _SYNCER.submit(os.fsync, fd)
            try:
                actual = sha256_from(hasher, fd, start, total)
            finally:
                synced.result()
            verify_upload(digest, actual, total, size)
            final = self._blob_path(actual)
            final.parent.mkdir(mode=0o700, exist_ok=True)
            os.utime(fd)  # the blob's age (gc's grace period) starts now
            os.replace(folder / "data", final)
            os.fchmod(fd, DONE_MODE)
        return actual, total

    def abort(self, handle: str) -> None:
        """Remove the session (one of the old layout too); harmless when it is gone."""
        if _OLD_HANDLE.fullmatch(handle):
            self._remove(self.uploads_dir / handle)
            return
        folder, _ = self._session(handle)
        self._remove(folder)

    def _remove(self, folder: Path) -> None:
        """Move the folder aside first: a part or a completion that comes later, or is
        under way, finds no session, and creates nothing in a folder being removed."""
        self._hashes.drop(folder.name)
        trash = self.uploads_dir / f"{TRASH}{secrets.token_hex(8)}"
        try:
            os.rename(folder, trash)
        except (FileNotFoundError, NotADirectoryError):
            return
        shutil.rmtree(trash, ignore_errors=True)

    def sweep_trash(self, *, dry_run: bool = False) -> tuple[int, int]:
        """Sessions whose removal was cut short (a killed process): their count and
        bytes, removed unless ``dry_run``."""
        count = size = 0
        for entry in os.scandir(self.uploads_dir):
            if not entry.name.startswith(TRASH):
                continue
            count += 1
            size += _tree_size(entry.path)
            if not dry_run:
                shutil.rmtree(entry.path, ignore_errors=True)
        return count, size


def _tree_size(top: str) -> int:
    """Bytes of the files under ``top``; a file gone meanwhile counts nothing."""
    size = 0
    for root, _, files in os.walk(top):
        for name in files:
            try:
                size += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return size


@contextmanager
def _locked(path: Path, flags: int, how: int) -> Iterator[int]:
    """``path`` opened and flocked; NotFound when the session is gone, before or while
    waiting for the lock (completion renamed ``data`` or removed the folder)."""
    try:
        fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    except (FileNotFoundError, NotADirectoryError):
        raise _gone() from None
    try:
        fcntl.flock(fd, how)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            raise _gone()
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _settle_size(folder: Path, length: int) -> int:
    """The parts' one size: ``length``, unless another part set it first.  Written to
    disk before it is linked in: it outlives a power loss whole or not at all."""
    tmp = folder / f"size.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.write(fd, str(length).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, folder / "size")
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    size = _read_int(folder / "size")
    if size is None:
        raise _gone()
    return size


def _marker(folder: Path, part: int) -> tuple[int | None, str | None]:
    """A part's length and token from its marker; (None, None) while the part is not
    whole.  A marker of an older server holds no token: its part is hashed at the end."""
    try:
        length, _, token = (folder / f"{part:05d}.len").read_text().partition(" ")
        return int(length), token or None
    except (FileNotFoundError, ValueError):
        return None, None


def _tokens(folder: Path) -> TokenOf:
    """The session's part -> marker token, as the running hash asks for them."""
    return lambda part: _marker(folder, part)[1]


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_atomic(path: Path, content: str | bytes) -> None:
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    raw = content.encode() if isinstance(content, str) else content
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        view = memoryview(raw)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _pwrite_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _copy_in(src: Path, fd: int, offset: int) -> None:
    with open(src, "rb", buffering=0) as fh:
        while chunk := fh.read(HASH_CHUNK):
            _pwrite_all(fd, chunk, offset)
            offset += len(chunk)
