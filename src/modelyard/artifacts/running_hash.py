"""The sha256 of a local upload's file, taken while its parts land, in this process.

Completing a local multipart upload hashes its file before it becomes a blob; done
only then, that is about 0.6 s a GiB while the client waits.  So each process keeps,
for the sessions whose parts it writes, the sha256 of the file's first parts: parts 1,
2, ... in order, each one fed as soon as its marker says it is whole (the part just
written, then any later ones already there).  Completion takes the hash up where it
stopped and reads only the rest.

A hash is checked before it is trusted.  Every write of a part leaves a marker with a
token of its own (``local_parts``), and the hash keeps a digest of the tokens of the
parts it fed; if a part was written again since (by this process or another server on
the same folder), the tokens differ and completion hashes the whole file, as it would
without this table.  Nothing is shared between processes: the process that writes a
session's part 1 follows it (reading the parts other servers write as their markers
appear), and a session no process here follows, or one pushed out of the bounded
table, is hashed whole at completion.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from modelyard.errors import NotFound

#: Sessions followed at once by one process; the oldest is dropped past this.
LIMIT = 256
#: The most bytes one part's writer hashes of parts other than its own: a part that
#: fills the first gap of many does not hold its client for all of them (the rest is
#: hashed by later writers, or at completion).
BUDGET = 256 << 20
HASH_CHUNK = 8 << 20  # the reads that hash (and copy) a local upload

#: A part's marker token, or None while the part is not whole (``local_parts``).
TokenOf = Callable[[int], str | None]


class _Hash:
    __slots__ = ("lock", "hasher", "next_part", "offset", "seal", "broken")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hasher: Any = hashlib.sha256()
        self.next_part = 1  # the first part not yet hashed
        self.offset = 0  # the bytes hashed
        # The tokens of the writes hashed, in part order, hashed too: a few bytes
        # whatever the number of parts.
        self.seal: Any = hashlib.sha256()
        self.broken = False  # a read failed half-way: the hasher holds part of a part


def _token(token_of: TokenOf, part: int) -> str | None:
    """The part's token; None when it is not whole or its marker cannot be read (the
    hash is an optimisation: it never fails a write)."""
    try:
        return token_of(part)
    except OSError:
        return None


def _sealed(seal: Any, token: str) -> None:
    seal.update(token.encode() + b"\n")


class RunningHashes:
    """The table of one process (one per local blob store)."""

    def __init__(self) -> None:
        self._limit, self._budget = LIMIT, BUDGET
        self._table: OrderedDict[str, _Hash] = OrderedDict()
        self._guard = threading.Lock()

    def _entry(self, handle: str, create: bool) -> _Hash | None:
        with self._guard:
            entry = self._table.get(handle)
            if entry is None and create:
                entry = self._table[handle] = _Hash()
                while len(self._table) > self._limit:
                    self._table.popitem(last=False)
            return entry

    def feed(self, handle: str, fd: int, part: int, parts: int, part_size: int,
             token_of: TokenOf) -> None:
        """After part ``part`` was written: hash the parts of ``handle`` that are whole
        from the first one not yet hashed (never the last part: it may be shorter, or
        set aside).  A session is followed from the write of its part 1 on, so one
        pushed out of the table is not hashed again from its start by its next part.
        ``fd`` reads the session's file; the caller holds it shared, so no completion
        runs.  A writer that finds another one hashing leaves its part to that one."""
        entry = self._entry(handle, create=part == 1)
        if entry is None:
            return
        budget = part_size + self._budget
        while entry.lock.acquire(blocking=False):
            try:
                budget = self._advance(handle, entry, fd, parts, part_size, token_of, budget)
            finally:
                entry.lock.release()
            # A part that became whole while this writer held the lock was left to it.
            if (budget < part_size or entry.broken or entry.next_part >= parts
                    or _token(token_of, entry.next_part) is None):
                return

    def _advance(self, handle: str, entry: _Hash, fd: int, parts: int, part_size: int,
                 token_of: TokenOf, budget: int) -> int:
        while not entry.broken and entry.next_part < parts and budget >= part_size:
            token = _token(token_of, entry.next_part)
            if token is None:
                break
            try:
                _update(entry.hasher, fd, entry.offset, part_size)
            except (OSError, NotFound):  # the part stays stored, to be hashed at the end
                entry.broken = True
                self.drop(handle)
                break
            _sealed(entry.seal, token)
            entry.offset += part_size
            entry.next_part += 1
            budget -= part_size
        return budget

    def take(self, handle: str, token_of: TokenOf) -> tuple[Any, int]:
        """For completion, which holds the file exclusive: a sha256 of the file's first
        bytes and how many it covers (a fresh one and 0 when there is no hash of the
        session here, or a part it fed was written again since)."""
        with self._guard:
            entry = self._table.pop(handle, None)
        if entry is not None:
            with entry.lock:
                if not entry.broken and self._unchanged(entry, token_of):
                    return entry.hasher, entry.offset
        return hashlib.sha256(), 0

    @staticmethod
    def _unchanged(entry: _Hash, token_of: TokenOf) -> bool:
        """Every part hashed is still the write that was hashed."""
        seal = hashlib.sha256()
        for n in range(1, entry.next_part):
            token = _token(token_of, n)
            if token is None:
                return False
            _sealed(seal, token)
        return bool(seal.digest() == entry.seal.digest())

    def drop(self, handle: str) -> None:
        with self._guard:
            self._table.pop(handle, None)


def _update(hasher: Any, fd: int, offset: int, length: int) -> None:
    buf = bytearray(max(1, min(HASH_CHUNK, length)))
    view = memoryview(buf)
    end = offset + length
    while offset < end:
        n = os.preadv(fd, [view[:min(len(buf), end - offset)]], offset)
        if n == 0:
            raise NotFound("a part of the upload is missing")
        hasher.update(view[:n])
        offset += n


def sha256_from(hasher: Any, fd: int, start: int, total: int) -> str:
    """The hex sha256 of ``fd``'s first ``total`` bytes, ``hasher`` covering ``start``."""
    if total > start:
        _update(hasher, fd, start, total - start)
    return str(hasher.hexdigest())
