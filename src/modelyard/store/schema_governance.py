"""Tables of lifecycle governance, on the shared metadata.

- ``project_policies``: one row per project with a policy of its own: the document the
  user wrote (``source``) and its plain data as JSON (``data``, what transitions read).
- ``transition_requests`` and ``request_decisions``: a stage transition waiting for
  approvals, and who approved or rejected it (once each).
- ``alias_history``: every holder of every alias, ``valid_from`` to ``valid_to`` (NULL
  while it holds); the (model, alias, valid_from) index answers "what did it point at
  then" in one seek.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from modelyard.store.schema import MYSQL, BigId, metadata

project_policies = Table(
    "project_policies",
    metadata,
    Column("project_id", BigInteger, ForeignKey("projects.id", ondelete="CASCADE"),
           primary_key=True),
    Column("source", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String(256), nullable=False),
    **MYSQL,
)

transition_requests = Table(
    "transition_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, ForeignKey("registered_models.id", ondelete="CASCADE"),
           nullable=False),
    Column("version_id", BigInteger, ForeignKey("model_versions.id", ondelete="CASCADE"),
           nullable=False),
    Column("version", Integer, nullable=False),
    Column("from_stage", String(64), nullable=False),
    Column("to_stage", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requester", String(256), nullable=False),
    Column("needed", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("allow_requester", Boolean, nullable=False),
    Column("archive_existing", Boolean, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("closed_at", BigInteger, nullable=True),
    Column("closed_by", String(256), nullable=True),
    Column("reason", Text, nullable=False),
    Index("ix_transition_requests_model", "model_id", "status"),
    Index("ix_transition_requests_version", "version_id", "status"),
    **MYSQL,
)

request_decisions = Table(
    "request_decisions",
    metadata,
    Column("request_id", BigInteger, ForeignKey("transition_requests.id", ondelete="CASCADE"),
           primary_key=True),
    Column("decided_by", String(256), primary_key=True),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    **MYSQL,
)

alias_history = Table(
    "alias_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, ForeignKey("registered_models.id", ondelete="CASCADE"),
           nullable=False),
    Column("alias", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("valid_from", BigInteger, nullable=False),
    Column("valid_to", BigInteger, nullable=True),
    Column("moved_by", String(256), nullable=False),
    Column("via", String(32), nullable=False),
    Column("request_id", BigInteger, nullable=True),
    Index("ix_alias_history_at", "model_id", "alias", "valid_from"),
    **MYSQL,
)
