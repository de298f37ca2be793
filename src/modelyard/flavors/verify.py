"""A downloaded version is checked file by file before any of it is deserialized."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from modelyard.errors import DigestMismatch
from modelyard.flavors.manifest import model_path

__all__ = ["verify_files"]

CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def verify_files(root: Path, files: Iterable[Any], label: str) -> None:
    """Every entry (``path``, ``size``, ``sha256``) of the manifest of version ``label``
    is under ``root`` with that size and sha256, and ``root`` holds nothing else."""
    expected: set[Path] = set()
    for entry in files:
        path = model_path(root, entry.path)
        expected.add(path)
        why = None
        if not path.is_file():
            why = "is missing"
        elif path.stat().st_size != entry.size or _sha256(path) != entry.sha256:
            why = "does not match the sha256 in its manifest"
        if why:
            raise DigestMismatch(f"refusing to load {label}: its file {entry.path!r} {why}; "
                                 "nothing was loaded")
    base = root.resolve()
    for path in sorted(base.rglob("*")):
        if path.is_file() and path not in expected:
            raise DigestMismatch(f"refusing to load {label}: "
                                 f"{path.relative_to(base).as_posix()!r} is not in its "
                                 "manifest; nothing was loaded")
