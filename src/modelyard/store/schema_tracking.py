"""Tables of experiment tracking, datasets and deployments (on the shared metadata).

- ``experiments.id`` is assigned by the store (max + 1), not auto-incremented, so the
  default experiment can be id 0 (what MLflow clients send when none is set).
- Runs have an internal integer ``id`` for compact keys and the public 32-character
  ``run_uuid``; metrics, params and tags point at the integer id.
- ``metrics`` is the full time series, keyed for reading one key of one run in step
  order; ``latest_metrics`` holds the newest value per key for search and listing.
  Metric values are DOUBLE plus ``kind`` (0 finite, 1 NaN, 2 +inf, 3 -inf) because
  MySQL cannot store NaN or infinities; infinities keep ±max float in ``value`` so
  comparisons still order them, NaN keeps 0 and never matches a filter.
- Run artifacts are keyed by the sha256 of their path: a 1024-character path cannot be
  part of a MySQL key (3072 bytes at 4 bytes a character).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from modelyard.store.schema import MYSQL, BigId, metadata

experiments = Table(
    "experiments",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("name", String(256), nullable=False),
    Column("artifact_location", Text, nullable=False, default=""),
    Column("lifecycle_stage", String(16), nullable=False, default="active"),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
    Column("name_skeleton", String(64), nullable=True),  # as projects.name_skeleton
    UniqueConstraint("name", name="uq_experiments_name"),
    Index("ix_experiments_name_skeleton", "name_skeleton"),
    **MYSQL,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", BigInteger, ForeignKey("experiments.id", ondelete="CASCADE"),
           primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

runs = Table(
    "runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_uuid", String(32), nullable=False),
    Column("experiment_id", BigInteger, ForeignKey("experiments.id"), nullable=False),
    Column("name", String(250), nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(16), nullable=False, default="active"),
    Column("user_id", String(256), nullable=False, default=""),
    Column("parent_run_uuid", String(32), nullable=True),
    Column("deleted_at", BigInteger, nullable=True),
    UniqueConstraint("run_uuid", name="uq_runs_run_uuid"),
    Index("ix_runs_experiment_start", "experiment_id", "lifecycle_stage", "start_time"),
    Index("ix_runs_parent_run_uuid", "parent_run_uuid"),
    **MYSQL,
)

run_params = Table(
    "run_params",
    metadata,
    Column("run_id", BigInteger, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

run_tags = Table(
    "run_tags",
    metadata,
    Column("run_id", BigInteger, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

metrics = Table(
    "metrics",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", BigInteger, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("step", BigInteger, nullable=False, default=0),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("kind", SmallInteger, nullable=False, default=0),
    Index("ix_metrics_run_key_step", "run_id", "key", "step", "timestamp"),
    **MYSQL,
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", BigInteger, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("step", BigInteger, nullable=False, default=0),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=False),
    Column("kind", SmallInteger, nullable=False, default=0),
    Index("ix_latest_metrics_key_value", "key", "value"),
    **MYSQL,
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    Column("run_id", BigInteger, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path_hash", String(64), primary_key=True),
    Column("path", String(1024), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_run_artifacts_sha256", "sha256"),
    **MYSQL,
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("next_version", Integer, nullable=False, default=1),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    UniqueConstraint("name", name="uq_datasets_name"),
    **MYSQL,
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("dataset_id", BigInteger, ForeignKey("datasets.id", ondelete="CASCADE"),
           nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("source_type", String(64), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("profile", Text, nullable=True),
    Column("tags", Text, nullable=True),
    Column("size", BigInteger, nullable=False, default=0),
    Column("file_count", Integer, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    UniqueConstraint("dataset_id", "version", name="uq_dataset_versions_dataset_id_version"),
    Index("ix_dataset_versions_dataset_id_digest", "dataset_id", "digest"),
    **MYSQL,
)

dataset_files = Table(
    "dataset_files",
    metadata,
    Column("version_id", BigInteger, ForeignKey("dataset_versions.id", ondelete="CASCADE"),
           primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("path", String(1024), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_dataset_files_sha256", "sha256"),
    **MYSQL,
)

run_inputs = Table(
    "run_inputs",
    metadata,
    Column("run_id", BigInteger, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_version_id", BigInteger,
           ForeignKey("dataset_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("context", String(64), nullable=False, default=""),
    Column("created_at", BigInteger, nullable=False),
    # MLflow's input tags other than the context, as a JSON object (NULL: none).
    Column("tags", Text, nullable=True),
    Index("ix_run_inputs_dataset_version_id", "dataset_version_id"),
    **MYSQL,
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("version_id", BigInteger, ForeignKey("model_versions.id", ondelete="CASCADE"),
           nullable=False),
    Column("endpoint", Text, nullable=False),
    Column("environment", String(256), nullable=False, default=""),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    Column("created_by", String(256), nullable=False),
    #: Last "still serving" from the process that serves it (NULL: recorded by hand).
    Column("heartbeat_at", BigInteger, nullable=True),
    Index("ix_deployments_version_id", "version_id", "ended_at"),
    **MYSQL,
)
