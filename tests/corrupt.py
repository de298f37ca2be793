"""Damaging stored blobs behind the registry's back, as a disk or an operator would."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_file(blob_root: str | Path, digest: str) -> Path:
    return Path(blob_root) / "sha256" / digest[:2] / digest[2:]


def flip_byte(blob_root: str | Path, digest: str, offset: int = 0) -> None:
    """Flip one bit of the stored blob (read-only on disk: made writable for that)."""
    path = blob_file(blob_root, digest)
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    os.chmod(path, 0o400)


def remove_blob(blob_root: str | Path, digest: str) -> None:
    blob_file(blob_root, digest).unlink()
