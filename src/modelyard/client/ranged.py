"""Large downloads as parallel ranged reads, verified and resumable.

A file above the client's threshold is cut into parts (:data:`PART` bytes); up to
``workers`` parts are fetched at once (each one ``Range`` request, to the storage's
presigned URL or to the server), and the calling thread takes them back *in order*:
it hashes each part and appends it to a partial file beside the target.  So the whole
sha256 is computed while the bytes arrive (no second read), at most ``workers + 2``
parts are held in memory, and the partial file is always a prefix of the blob.

Resume: the partial file is named after the blob's digest
(``.<name>.<sha256 prefix>.partial``) and kept when a download fails on the wire, so
the next download of the same file re-hashes that prefix and fetches only the rest.
The prefix is not trusted on its own: the file is renamed into place only when the
sha256 of the whole matches, and a mismatch removes the partial file (the next try
starts from zero).
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from modelyard.client.contract import Progress
from modelyard.client.verify import mismatch
from modelyard.domain.entities import FileEntry

#: Bytes of one ranged read.
PART = 8 << 20
#: Ranged reads in flight for one file.
WORKERS = 8

ReadRange = Callable[[int, int], bytes]


def partial_path(target: Path, digest: str) -> Path:
    return target.with_name(f".{target.name}.{digest[:16]}.partial")


def _resume(partial: Path, size: int) -> tuple[int, hashlib._Hash]:
    """The bytes already fetched (a prefix of the blob) and their running sha256."""
    h = hashlib.sha256()
    if not partial.is_file():
        return 0, h
    have = partial.stat().st_size
    if have > size:
        partial.unlink()
        return 0, h
    with open(partial, "rb") as fh:
        while chunk := fh.read(PART):
            h.update(chunk)
    return have, h


def fetch_ranged(entry: FileEntry, target: Path, read_range: ReadRange,
                 progress: Progress | None = None, *, part: int = PART,
                 workers: int = WORKERS) -> None:
    """Download ``entry`` to ``target`` with ``read_range(start, end)`` (bytes
    ``[start, end)``, exactly), up to ``workers`` parts at once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target, entry.sha256)
    have, h = _resume(partial, entry.size)
    if progress and have:
        progress(have)
    starts = iter(range(have, entry.size, part))
    with open(partial, "ab") as fh, ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="modelyard-range") as pool:
        window: deque[Future[bytes]] = deque()

        def submit() -> None:
            start = next(starts, None)
            if start is not None:
                window.append(pool.submit(_exact, read_range, start,
                                          min(start + part, entry.size)))

        for _ in range(max(1, workers) + 2):
            submit()
        try:
            while window:
                data = window.popleft().result()
                submit()
                h.update(data)
                fh.write(data)
                if progress:
                    progress(len(data))
        except BaseException:
            for f in window:
                f.cancel()
            raise
    if h.hexdigest() != entry.sha256:
        partial.unlink(missing_ok=True)
        raise mismatch(f"file {entry.path!r}", entry.sha256, h.hexdigest())
    os.replace(partial, target)


def _exact(read_range: ReadRange, start: int, end: int) -> bytes:
    data = read_range(start, end)
    if len(data) != end - start:
        from modelyard.errors import ServiceUnavailable

        raise ServiceUnavailable(
            f"a ranged read of bytes {start}-{end - 1} returned {len(data)} bytes")
    return data
