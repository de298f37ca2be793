"""Tables of access control, on the shared metadata: users (and service accounts),
their groups, API tokens and role bindings.

- A password is stored as its argon2 hash, a token as the sha256 of its secret; neither
  is ever stored or logged in clear.
- ``users.changed_at`` moves whenever a credential of the user stops or starts working
  (disabled, deleted, password changed, a token revoked): every server process checks
  its cache of verified credentials against it.
- A role binding grants ``role`` to a subject (a user, a group, or every authenticated
  user) on a scope (a project or a registered model, by surrogate id).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)

from modelyard.store.schema import MYSQL, BigId, metadata

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("kind", String(16), nullable=False),  # user | service
    Column("is_admin", Boolean, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("password_hash", String(256), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("changed_at", BigInteger, nullable=False),
    UniqueConstraint("name", name="uq_users_name"),
    **MYSQL,
)

user_groups = Table(
    "user_groups",
    metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"),
           primary_key=True),
    Column("group_name", String(256), primary_key=True),
    **MYSQL,
)

tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("scope", String(8), nullable=False),  # read | write
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    Column("last_used_at", BigInteger, nullable=True),
    Index("ix_api_tokens_user_id", "user_id"),
    **MYSQL,
)

role_bindings = Table(
    "role_bindings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subject_kind", String(16), nullable=False),  # user | group | authenticated
    Column("subject", String(256), nullable=False),
    Column("role", String(16), nullable=False),
    Column("scope_kind", String(16), nullable=False),  # project | model
    Column("scope_id", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    UniqueConstraint("subject_kind", "subject", "scope_kind", "scope_id",
                     name="uq_role_bindings_subject"),
    Index("ix_role_bindings_scope", "scope_kind", "scope_id"),
    **MYSQL,
)

# Failed logins and bad tokens, per key ("user:NAME", "addr:IP"), for the sliding window
# every server process shares (domain/authn.py); rows older than the window are pruned.
auth_failures = Table(
    "auth_failures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False),
    Column("at", BigInteger, nullable=False),
    Index("ix_auth_failures_key_at", "key", "at"),
    **MYSQL,
)
