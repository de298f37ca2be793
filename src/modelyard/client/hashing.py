"""Client-side hashing: the manifest (path, size, sha256 of every file) of a local file
or folder, computed before an upload so only missing blobs are sent."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from modelyard.domain.entities import FileEntry
from modelyard.domain.validation import check_relpath
from modelyard.errors import InvalidParameter

CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            h.update(view[:n])
            size += n
    return h.hexdigest(), size


def total_size(source: str | os.PathLike[str]) -> int:
    """The bytes :func:`scan` will hash, from file sizes alone (for a progress bar)."""
    src = Path(source)
    if src.is_file():
        return src.stat().st_size
    total = 0
    for dirpath, _, filenames in os.walk(src):
        for name in filenames:
            full = Path(dirpath) / name
            if full.is_file():
                total += full.stat().st_size
    return total


def scan(source: str | os.PathLike[str],
         progress: Callable[[int], None] | None = None) -> list[tuple[FileEntry, Path]]:
    """Hash a file or every regular file under a folder; paths relative, sorted.
    ``progress`` is called with the size of each file once it is hashed.

    Symbolic links are followed only when they point inside ``source``."""
    src = Path(source)
    if not src.exists():
        raise InvalidParameter(f"no such file or folder: {source}")
    if src.is_file():
        digest, size = sha256_file(src)
        if progress:
            progress(size)
        return [(FileEntry(path=src.name, size=size, sha256=digest), src)]
    root = src.resolve()
    out = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            full = Path(dirpath) / name
            real = full.resolve()
            if root not in real.parents or not real.is_file():
                continue
            rel = full.relative_to(src).as_posix()
            digest, size = sha256_file(full)
            if progress:
                progress(size)
            out.append((FileEntry(path=check_relpath(rel), size=size, sha256=digest), full))
    out.sort(key=lambda item: item[0].path)
    return out
