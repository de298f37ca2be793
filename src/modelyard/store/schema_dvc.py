"""Tables of the DVC remote (on the shared metadata).

``dvc_objects`` is each project's object index: the md5 object ids (DVC's key, with
``.dir`` for a directory manifest) its clients pushed, each pointing at the sha256 of
record in the blob store.  It is the md5 -> sha256 index (md5 is never a key of the
blob store) and the manifest through which a pushed blob is readable: a project's
viewers may read what the project's remote holds, and garbage collection keeps it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, String, Table

from modelyard.store.schema import MYSQL, metadata

dvc_objects = Table(
    "dvc_objects",
    metadata,
    Column("project_id", BigInteger, ForeignKey("projects.id", ondelete="CASCADE"),
           primary_key=True),
    Column("oid", String(40), primary_key=True),  # 32 hex digits, ".dir" for a manifest
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("is_dir", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    Index("ix_dvc_objects_sha256", "sha256"),
    **MYSQL,
)
