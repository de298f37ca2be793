"""Webhook subscriptions and their deliveries (the outbox's consumers).

``webhooks.cursor`` is the id of the last event the scanner turned into deliveries for
that webhook; advancing it is a conditional UPDATE (``WHERE cursor = :seen``), so two
server processes never both create a webhook's deliveries, and the unique
(webhook_id, event_id) makes a second row impossible anyway.  A delivery is claimed with
a lease (``lease_until``, ``lease_owner``): ``SELECT ... FOR UPDATE SKIP LOCKED`` then a
conditional UPDATE on PostgreSQL and MySQL/MariaDB, the conditional UPDATE alone on
SQLite (whose writers are serialised).  ``attempts_log`` keeps the last attempts (JSON:
time, status code, response excerpt, error), bounded.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint

from modelyard.store.schema import MYSQL, BigId, metadata

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of subscribed names
    Column("project", String(256), nullable=True),  # NULL: every project (admins only)
    Column("description", Text, nullable=False, default=""),
    Column("secret", Text, nullable=True),
    Column("status", String(16), nullable=False),  # active | disabled
    Column("cursor", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    **MYSQL,
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("webhook_id", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=True),  # NULL: a test delivery
    Column("delivery_uuid", String(36), nullable=False),
    Column("event_name", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_until", BigInteger, nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("attempts_log", Text, nullable=False),
    UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_event"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    **MYSQL,
)
