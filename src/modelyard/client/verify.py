"""Read paths that know a file's sha256 check it while the bytes stream.

:func:`verified` passes chunks through, hashing them, and holds the last chunk back
until the end: a file whose bytes do not match its digest never reaches its reader
whole, and the reader gets a :class:`~modelyard.errors.DigestMismatch` naming the
file instead of a clean end.  Downloads to disk (``transfer.py``) write to a partial
file that is renamed into place only when the digest matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

from modelyard.errors import DigestMismatch


def mismatch(label: str, expected: str, actual: str) -> DigestMismatch:
    return DigestMismatch(
        f"{label}: the bytes received do not match its sha256 (expected {expected}, got "
        f"{actual}); the stored copy may be damaged, run `modelyard fsck`")


def verified(chunks: Iterable[bytes], digest: str, label: str) -> Iterator[bytes]:
    """``chunks`` unchanged, checked against ``digest``; the last chunk is released
    only once the whole stream matched."""
    h = hashlib.sha256()
    held: bytes | None = None
    for chunk in chunks:
        if not chunk:
            continue
        h.update(chunk)
        if held is not None:
            yield held
        held = chunk
    actual = h.hexdigest()
    if actual != digest:
        raise mismatch(label, digest, actual)
    if held is not None:
        yield held
