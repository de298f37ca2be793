"""Large downloads as parallel ranged reads, verified and resumable.

A file above the client's threshold is cut into ``workers`` parts (each at least
:data:`PART` bytes); every part is one streamed ``Range`` request (to the storage's
presigned URL or to the server), written at its offset in a partial file beside the
target as it arrives, so memory stays at one chunk a part whatever the file's size.
Few large parts, not many small ones: an object store serves each request from the
start of its range, and some (moto, the tests' S3) read the whole object for every
request.  When every part is in, the file is hashed once and renamed into place only
if its sha256 is the blob's.

Resume: the partial file ``.<name>.<sha256 prefix>.partial`` and its ledger
``...partial.ranges`` (JSON: the part size and how many bytes of each part are written)
are kept when a download fails on the wire, so the next download of the same file
fetches only what each part is missing.  Written ranges are not trusted on their own:
the whole file's sha256 decides, and a mismatch removes both files (the next try starts
from zero).  A part whose stream breaks is asked again from where it stopped, up to
:data:`RETRIES` times (the client's reader goes to the server once the storage failed).
The partial file is locked (``flock``) while a download works on it, until it is
renamed into place; a second download of the same file into the same folder at once
gets a private partial file instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from modelyard.client.contract import Progress
from modelyard.client.verify import mismatch
from modelyard.domain.entities import FileEntry
from modelyard.errors import ServiceUnavailable

#: The smallest part: below ``workers * PART`` bytes a file has fewer parts.
PART = 8 << 20
#: Ranged reads in flight for one file.
WORKERS = 8
#: Times a broken part is asked again (from where it stopped), after BACKOFF seconds,
#: doubled each time.
RETRIES = 3
BACKOFF = 0.2
#: The ledger is written after each part grew by this much (and at the end).
LEDGER_EVERY = 16 << 20

OpenRange = Callable[[int, int], Iterator[bytes]]


def partial_path(target: Path, digest: str) -> Path:
    return target.with_name(f".{target.name}.{digest[:16]}.partial")


class _Ledger:
    """How many bytes of each part (by its start) are in the partial file."""

    def __init__(self, path: Path, size: int, part: int) -> None:
        self.path = path
        self.size = size
        self.part = part
        self.done: dict[int, int] = {}
        self.lock = threading.Lock()
        self.unsaved = 0

    @classmethod
    def load(cls, path: Path, had_partial: bool, size: int, part: int) -> _Ledger:
        """The ledger of an earlier try, when it fits this file and its partial file
        was there; else a fresh one (every byte is fetched again)."""
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            if had_partial and data["size"] == size and int(data["part"]) >= 1:
                ledger = cls(path, size, int(data["part"]))
                ledger.done = {int(k): int(v) for k, v in data["done"].items()}
                return ledger
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        return cls(path, size, part)

    def advance(self, start: int, written: int, step: int) -> None:
        with self.lock:
            self.done[start] = written
            self.unsaved += step
            if self.unsaved >= LEDGER_EVERY:
                self._save()

    def save(self) -> None:
        with self.lock:
            self._save()

    def _save(self) -> None:
        self.unsaved = 0
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"size": self.size, "part": self.part,
                                   "done": {str(k): v for k, v in self.done.items()}}))
        os.replace(tmp, self.path)

    def have(self) -> int:
        return sum(self.done.values())


def fetch_ranged(entry: FileEntry, target: Path, open_range: OpenRange,
                 progress: Progress | None = None, *, part: int = PART,
                 workers: int = WORKERS) -> None:
    """Download ``entry`` to ``target`` with ``open_range(start, end)`` (the bytes
    ``[start, end)``, streamed), as up to ``workers`` parts at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    size, workers = entry.size, max(1, workers)
    partial = partial_path(target, entry.sha256)
    had_partial = partial.is_file()
    fd = _claim(partial)
    resumable = fd is not None
    if fd is None:  # another download of this file into this folder is running
        partial = target.with_name(f".{target.name}.{secrets.token_hex(8)}.partial")
        fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        had_partial = False
    ledger_path = partial.with_name(partial.name + ".ranges")
    ledger = _Ledger.load(ledger_path, had_partial, size, max(part, -(-size // workers)))
    if progress and ledger.have():
        progress(ledger.have())
    starts = list(range(0, size, ledger.part))
    try:
        os.ftruncate(fd, size)

        def fetch(start: int) -> None:
            _fetch_part(fd, start, min(start + ledger.part, size), ledger, open_range,
                        progress)

        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix="modelyard-range") as pool:
            futures = [pool.submit(fetch, s) for s in starts]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    except BaseException:
        os.close(fd)
        if resumable:
            ledger.save()  # what was written, for the next try
        else:
            partial.unlink(missing_ok=True)
        raise
    try:  # still holding the lock: no other download claims the file half-renamed
        digest = _sha256(partial)
        ledger_path.unlink(missing_ok=True)
        if digest != entry.sha256:
            partial.unlink(missing_ok=True)
            raise mismatch(f"file {entry.path!r}", entry.sha256, digest)
        os.replace(partial, target)
    finally:
        os.close(fd)


def _claim(partial: Path) -> int | None:
    """The partial file, opened and locked for this download; None when another
    download holds it (it then gets a private partial file, not resumed)."""
    fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o600)
    if sys.platform == "win32":  # no advisory locks here: the sha256 still guards it
        return fd
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _fetch_part(fd: int, start: int, end: int, ledger: _Ledger, open_range: OpenRange,
                progress: Progress | None) -> None:
    pos = start + min(ledger.done.get(start, 0), end - start)
    for attempt in range(RETRIES + 1):
        if pos >= end:
            return
        chunks = open_range(pos, end)
        try:
            for chunk in chunks:
                chunk = chunk[:end - pos]
                view = memoryview(chunk)
                while view:
                    n = os.pwrite(fd, view, pos)
                    view = view[n:]
                    pos += n
                ledger.advance(start, pos - start, len(chunk))
                if progress:
                    progress(len(chunk))
                if pos >= end:
                    return
        except ServiceUnavailable:
            if attempt == RETRIES:
                raise
            time.sleep(BACKOFF * 2 ** attempt)
            continue
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()  # a stream left early ends its response
        if pos < end and attempt == RETRIES:
            raise ServiceUnavailable(
                f"a ranged read of bytes {start}-{end - 1} ended at byte {pos}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while chunk := fh.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()
