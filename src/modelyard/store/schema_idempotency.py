"""Idempotency keys: the first answer to a mutating request sent with an
``Idempotency-Key`` header, kept for a day so a retry gets it again (see
``domain/idempotency.py``).

``scope`` is the sha256 of (principal, route, key): one short key on every database
whatever the lengths of a model name or a key.  ``status`` is NULL while the first
request is still running.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text
from sqlalchemy.dialects import mysql

from modelyard.store.schema import MYSQL, metadata

# MySQL's TEXT holds 64 KiB; a response (a version with its manifest) may be longer.
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql").with_variant(mysql.LONGTEXT(), "mariadb")

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("status", Integer, nullable=True),
    Column("content_type", String(128), nullable=True),
    Column("body", LongText, nullable=True),
    Index("ix_idempotency_keys_created_at", "created_at"),
    **MYSQL,
)
