"""Rules on manifests shared by every commit path (model versions, run artifacts,
dataset versions, logged models)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelyard.domain.entities import FileEntry
from modelyard.domain.ports import BlobStore, Transaction
from modelyard.errors import InvalidParameter


def check_blobs_present(tx: Transaction, blobs: BlobStore, files: Sequence[FileEntry]) -> None:
    """Every file of a manifest is in the blob store, with the size the manifest says.

    Called first in the write transaction that commits the manifest: it takes the blob
    lock (shared) before it looks, so garbage collection cannot delete a blob between
    this check and the commit (``domain/gc.py``).  The check refreshes each blob's time
    where the store keeps one."""
    tx.lock_blobs()
    check_stored(blobs, files)


def check_stored(blobs: BlobStore, files: Sequence[FileEntry]) -> None:
    """Every file's blob is stored with the file's size: one look a blob (on object
    storage a round trip each, asked 16 at a time, or on S3 and GCS ordered listings
    for many: ``artifacts/listing.py``), which also refreshes its time where the store
    keeps one."""
    sizes = blobs.sizes(f.sha256 for f in files)
    missing = list(dict.fromkeys(f.sha256 for f in files if f.sha256 not in sizes))
    if missing:
        raise InvalidParameter(
            f"{len(missing)} file(s) were not uploaded (first: sha256 {missing[0]}); "
            "upload the missing blobs, then commit again")
    for f in files:
        if sizes[f.sha256] != f.size:
            raise InvalidParameter(
                f"file {f.path!r}: manifest says {f.size} bytes, blob has {sizes[f.sha256]}")


def list_folder(files: Sequence[FileEntry], path: str = "") -> list[dict[str, Any]]:
    """One folder level of a manifest under ``path``: files with their size, folders
    with None; a path naming a file (or nothing) lists as empty."""
    base = path + "/" if path else ""
    out: dict[str, dict[str, Any]] = {}
    for f in files:
        if f.path == path or not f.path.startswith(base):
            continue
        head, sep, _ = f.path[len(base):].partition("/")
        full = base + head
        if sep:
            out.setdefault(full, {"path": full, "is_dir": True, "size": None})
        else:
            out[full] = {"path": full, "is_dir": False, "size": f.size}
    return [out[k] for k in sorted(out)]
