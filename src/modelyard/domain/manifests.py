"""Rules on manifests shared by every commit path (model versions, run artifacts,
dataset versions, logged models)."""

from __future__ import annotations

from collections.abc import Sequence

from modelyard.domain.entities import FileEntry
from modelyard.domain.ports import BlobStore
from modelyard.errors import InvalidParameter


def check_blobs_present(blobs: BlobStore, files: Sequence[FileEntry]) -> None:
    """Every file of a manifest is in the blob store, with the size the manifest says."""
    missing = blobs.missing(f.sha256 for f in files)
    if missing:
        raise InvalidParameter(
            f"{len(missing)} file(s) were not uploaded (first: sha256 {missing[0]}); "
            "upload the missing blobs, then commit again")
    for f in files:
        actual = blobs.size(f.sha256)
        if actual != f.size:
            raise InvalidParameter(
                f"file {f.path!r}: manifest says {f.size} bytes, blob has {actual}")
