"""Tables of single sign-on: external identities linked to users, and browser sessions.

- An identity links ``(issuer, subject)`` (an OIDC provider's ``iss`` and ``sub``, or
  ``proxy`` and the trusted proxy's user header) to one user: a login finds its user by
  the identity, never by name.
- A session is stored as the sha256 of its secret (the cookie value), never in clear.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table

from modelyard.store.schema import MYSQL, metadata

user_identities = Table(
    "user_identities",
    metadata,
    Column("issuer", String(512), primary_key=True),
    Column("subject", String(256), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_user_identities_user_id", "user_id"),
    **MYSQL,
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("via", String(16), nullable=False),  # password | token | oidc
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
    **MYSQL,
)
