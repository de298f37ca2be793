"""Tables of the metadata store (SQLAlchemy Core).

Conventions:
- timestamps are BIGINT milliseconds since the epoch;
- soft deletion uses ``deleted_id``: 0 while alive, the row's own id once deleted, so
  a unique (name, deleted_id) lets a deleted name be reused while the deleted row
  stays restorable;
- no index longer than MySQL's 3072-byte key limit (utf8mb4: 4 bytes a character).

Alembic migrations in ``migrations/versions`` build exactly these tables; a test
compares the two on every database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# MySQL/MariaDB compare strings case-insensitively by default; names here are
# case-sensitive on every database, as they are on PostgreSQL and SQLite.
MYSQL: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

# BIGINT primary keys that autoincrement on SQLite too (SQLite only autoincrements INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    # sha256 of the name's confusable skeleton (domain/names.py): look-alikes share it
    Column("name_skeleton", String(64), nullable=True),
    Index("ix_projects_name_skeleton", "name_skeleton"),
    **MYSQL,
)

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("deleted_id", BigInteger, nullable=False, default=0),
    Column("project_id", BigInteger, ForeignKey("projects.id"), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("next_version", Integer, nullable=False, default=1),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
    Column("name_skeleton", String(64), nullable=True),  # as projects.name_skeleton
    UniqueConstraint("name", "deleted_id", name="uq_registered_models_name_deleted_id"),
    Index("ix_registered_models_updated_at", "updated_at"),
    Index("ix_registered_models_name_skeleton", "name_skeleton"),
    **MYSQL,
)

model_tags = Table(
    "model_tags",
    metadata,
    Column("model_id", BigInteger, ForeignKey("registered_models.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, ForeignKey("registered_models.id", ondelete="CASCADE"),
           nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("stage", String(64), nullable=False, default="None"),
    Column("description", Text, nullable=False, default=""),
    Column("source", Text, nullable=False, default=""),
    Column("run_id", String(64), nullable=True),
    Column("flavor", String(64), nullable=True),  # NULL: no flavor
    Column("signature", Text, nullable=True),
    Column("metrics", Text, nullable=True),
    Column("size", BigInteger, nullable=False, default=0),
    Column("file_count", Integer, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("updated_by", String(256), nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
    UniqueConstraint("model_id", "version", name="uq_model_versions_model_id_version"),
    Index("ix_model_versions_model_id_stage", "model_id", "stage"),
    Index("ix_model_versions_run_id", "run_id"),
    Index("ix_model_versions_created_at", "created_at"),
    **MYSQL,
)

version_tags = Table(
    "version_tags",
    metadata,
    Column("version_id", BigInteger, ForeignKey("model_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

# The manifest of a version: one row a file.  ``ordinal`` keeps the key short (a 1024
# character path cannot be part of a MySQL key); uniqueness of paths is a domain rule.
version_files = Table(
    "version_files",
    metadata,
    Column("version_id", BigInteger, ForeignKey("model_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("path", String(1024), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_version_files_sha256", "sha256"),
    **MYSQL,
)

version_parents = Table(
    "version_parents",
    metadata,
    Column("version_id", BigInteger, ForeignKey("model_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("parent_id", BigInteger, ForeignKey("model_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("relation", String(64), nullable=False, default="derived_from"),
    Index("ix_version_parents_parent_id", "parent_id"),
    **MYSQL,
)

aliases = Table(
    "aliases",
    metadata,
    Column("model_id", BigInteger, ForeignKey("registered_models.id", ondelete="CASCADE"),
           primary_key=True),
    Column("alias", String(255), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String(256), nullable=False),
    # The aliases of given versions (a page's, a get's), without reading every alias
    # of their models: a page of 100 versions of a model with 50 aliases read 5,000.
    Index("ix_aliases_model_version", "model_id", "version"),
    **MYSQL,
)

# The outbox: every change writes one row in the transaction of the change.
events = Table(
    "events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("type", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(512), nullable=False),
    Column("project", String(256), nullable=False),
    Column("actor", String(256), nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("payload", Text, nullable=True),
    # The entity's surrogate id (stable across renames), the model an event of a model,
    # version, alias or deployment belongs to, and the actor's principal id.
    Column("entity_key", String(128), nullable=True),
    Column("model_id", BigInteger, nullable=True),
    Column("actor_id", String(256), nullable=True),
    # How the actor authenticated: the token id (never the secret), the client address
    # and the request id (see schema_access.py).
    Column("actor_token", String(64), nullable=True),
    Column("actor_address", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
    Index("ix_events_entity", "entity_type", "entity_id"),
    Index("ix_events_time", "time"),
    Index("ix_events_model_id", "model_id"),
    Index("ix_events_actor", "actor"),
    Index("ix_events_type", "type"),
    **MYSQL,
)

# Named locks held for the length of a transaction (one row each).  ``gc``: every
# manifest commit holds it shared while it checks its blobs and writes its rows; garbage
# collection holds it exclusively while it re-checks and deletes a batch of blobs.
locks = Table(
    "locks",
    metadata,
    Column("name", String(64), primary_key=True),
    **MYSQL,
)

# Tables of the other aggregates live in their own modules on the same metadata;
# importing them here registers them (migrations and tests see one schema).
from modelyard.store import schema_access  # noqa: E402,F401
from modelyard.store import schema_mlflow  # noqa: E402,F401
from modelyard.store import schema_tracking  # noqa: E402,F401
from modelyard.store import schema_idempotency  # noqa: E402,F401
from modelyard.store import schema_dvc  # noqa: E402,F401
from modelyard.store import schema_governance  # noqa: E402,F401
from modelyard.store import schema_identity  # noqa: E402,F401
from modelyard.store import schema_webhooks  # noqa: E402,F401
from modelyard.store import schema_uploads  # noqa: E402,F401
