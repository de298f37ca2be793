"""Records of the DVC remote: a pushed object of a project's object index."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DvcObject:
    """One object a project's DVC remote holds: DVC's id for it (the md5 of its bytes,
    with ``.dir`` for a directory manifest) and the blob of record (sha256)."""

    project_id: int
    oid: str
    sha256: str
    size: int
    is_dir: bool
    created_at: int
    created_by: str
