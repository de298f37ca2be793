"""What every blob store shares.  The protocol itself is ``domain.ports.BlobStore``."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO, cast

from modelyard.domain.validation import check_digest
from modelyard.errors import DigestMismatch

CHUNK = 1 << 20


def verify_upload(expected: str | None, actual: str, size: int,
                  expected_size: int | None) -> None:
    """Refuse bytes whose sha256 or length is not what the uploader announced."""
    if expected is not None and actual != expected:
        raise DigestMismatch(
            f"uploaded bytes have sha256 {actual}, not {expected}; nothing was stored")
    if expected_size is not None and expected_size != size:
        raise DigestMismatch(f"uploaded {size} bytes, expected {expected_size}")


def put_file(store: Any, path: str, digest: str) -> int:
    """Store a local file under ``digest`` through the store's verifying writer (the
    in-process client's upload); a blob already present is not written again."""
    if store.has(digest):
        return int(store.size(digest))
    w = store.writer(digest, max_size=1 << 62)
    try:
        with open(path, "rb", buffering=0) as fh:
            while chunk := fh.read(CHUNK):
                w.write(chunk)
    except BaseException:
        w.abort()
        raise
    return int(w.commit())


class _Chunks(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.rest:
            try:
                self.rest = next(self.chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.rest))
        buffer[:n] = self.rest[:n]
        self.rest = self.rest[n:]
        return n

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()
        super().close()


def ChunkReader(chunks: Iterator[bytes]) -> BinaryIO:  # noqa: N802 - reads like a class
    """A binary file object over an iterator of byte chunks (a store's ranged reads)."""
    return cast(BinaryIO, io.BufferedReader(_Chunks(chunks), CHUNK))


def object_key(prefix: str, digest: str) -> str:
    """An object store's key of a blob: ``<prefix>sha256/ab/cdef...``."""
    check_digest(digest)
    return f"{prefix}sha256/{digest[:2]}/{digest[2:]}"


def sizes_by_lookup(size_or_none: Callable[[str], int | None],
                    digests: Iterable[str]) -> dict[str, int]:
    """The sizes of the blobs an object store holds, asked 16 at a time (missing ones
    are absent)."""
    unique = list(dict.fromkeys(digests))
    for d in unique:
        check_digest(d)
    with ThreadPoolExecutor(max_workers=16) as pool:
        found = list(pool.map(size_or_none, unique))
    return {d: n for d, n in zip(unique, found, strict=True) if n is not None}


def missing_by_lookup(has: Callable[[str], bool], digests: Iterable[str]) -> list[str]:
    """The digests (in order, each once) an object store lacks, asked 16 at a time: one
    lookup a blob is a round trip on S3, GCS and Azure alike."""
    unique = list(dict.fromkeys(digests))
    for d in unique:
        check_digest(d)
    with ThreadPoolExecutor(max_workers=16) as pool:
        present = list(pool.map(has, unique))
    return [d for d, ok in zip(unique, present, strict=True) if not ok]


def b64_sha256(hex_digest: str) -> str:
    """A sha256 as object stores want it in a checksum header (base64 of the bytes)."""
    import base64

    return base64.b64encode(bytes.fromhex(hex_digest)).decode()
