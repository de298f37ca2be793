"""The sha256 of a local upload's file, taken while its parts land, in this process.

Completing a local multipart upload hashes its file before it becomes a blob; done
only then, that is about 0.6 s a GiB while the client waits.  So each process keeps,
for the sessions whose parts it writes, the sha256 of the file's first parts: parts 1,
2, ... in order, each one fed as soon as its marker says it is whole (the part just
written, then any later ones already there).  Completion takes the hash up where it
stopped and reads only the rest.

A hash is checked before it is trusted.  Every write of a part leaves a marker with a
token of its own (``local_parts``), and the hash keeps the token of each part it fed;
if a part was written again since (by this process or another server on the same
folder), the tokens differ and completion hashes the whole file, as it would without
this table.  Nothing is shared between processes: a session this process never wrote
a part of, or one pushed out of the bounded table, is hashed whole at completion.
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
_CHUNK = 8 << 20

#: A part's marker token, or None while the part is not whole (``local_parts``).
TokenOf = Callable[[int], str | None]


class _Hash:
    __slots__ = ("lock", "hasher", "next_part", "offset", "tokens", "broken")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hasher: Any = hashlib.sha256()
        self.next_part = 1  # the first part not yet hashed
        self.offset = 0  # the bytes hashed
        self.tokens: dict[int, str] = {}  # part -> the token of the write that was hashed
        self.broken = False  # a read failed half-way: the hasher holds part of a part


class RunningHashes:
    """The table of one process (one per local blob store)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._limit = limit
        self._table: OrderedDict[str, _Hash] = OrderedDict()
        self._guard = threading.Lock()

    def _entry(self, handle: str) -> _Hash:
        with self._guard:
            entry = self._table.get(handle)
            if entry is None:
                entry = self._table[handle] = _Hash()
                while len(self._table) > self._limit:
                    self._table.popitem(last=False)
            return entry

    def feed(self, handle: str, fd: int, parts: int, part_size: int,
             token_of: TokenOf) -> None:
        """Hash the parts of ``handle`` that are whole from the first one not yet
        hashed (never the last part: it may be shorter, or set aside).  ``fd`` reads
        the session's file; the caller holds it shared, so no completion runs.  A
        writer that finds another one hashing leaves its part to that one."""
        entry = self._entry(handle)
        while entry.lock.acquire(blocking=False):
            try:
                self._advance(handle, entry, fd, parts, part_size, token_of)
            finally:
                entry.lock.release()
            # A part that became whole while this writer held the lock was left to it.
            if entry.broken or entry.next_part >= parts or token_of(entry.next_part) is None:
                return

    def _advance(self, handle: str, entry: _Hash, fd: int, parts: int, part_size: int,
                 token_of: TokenOf) -> None:
        while not entry.broken and entry.next_part < parts:
            token = token_of(entry.next_part)
            if token is None:
                return
            try:
                _update(entry.hasher, fd, entry.offset, part_size)
            except (OSError, NotFound):  # the part stays stored, to be hashed at the end
                entry.broken = True
                self.drop(handle)
                return
            entry.tokens[entry.next_part] = token
            entry.offset += part_size
            entry.next_part += 1

    def take(self, handle: str, token_of: TokenOf) -> tuple[Any, int]:
        """For completion, which holds the file exclusive: a sha256 of the file's first
        bytes and how many it covers (a fresh one and 0 when there is no hash of the
        session here, or a part it fed was written again since)."""
        with self._guard:
            entry = self._table.pop(handle, None)
        if entry is not None:
            with entry.lock:
                fed = entry.tokens.items()
                if not entry.broken and all(token_of(n) == token for n, token in fed):
                    return entry.hasher, entry.offset
        return hashlib.sha256(), 0

    def drop(self, handle: str) -> None:
        with self._guard:
            self._table.pop(handle, None)


def _update(hasher: Any, fd: int, offset: int, length: int) -> None:
    buf = bytearray(max(1, min(_CHUNK, length)))
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
