"""Upload sessions (``domain/uploads.py``): one row per multipart upload in progress,
so that any server process can take a part, list the parts or complete it.

``digest``, ``size`` and ``part_size`` are NULL for a session whose blob is known
only at the end (MLflow's multipart API); ``handle`` is the blob store's reference
to the parts; ``secret`` signs the session's part URLs to the server.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from modelyard.store.schema import MYSQL, metadata

upload_sessions = Table(
    "upload_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("digest", String(64), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("part_size", BigInteger, nullable=True),
    Column("parts", Integer, nullable=False),
    Column("handle", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_upload_sessions_expires_at", "expires_at"),
    Index("ix_upload_sessions_digest", "digest"),
    **MYSQL,
)
