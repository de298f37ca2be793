"""Tables for MLflow 3's logged models (``m-<32 hex>``), on the shared metadata.

A logged model is a manifest of content-addressed files, like a version: registering
it as a version copies the rows of its manifest, never the bytes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Double,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
)

from modelyard.store.schema import MYSQL, BigId, metadata

logged_models = Table(
    "mlflow_logged_models",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("model_id", String(64), nullable=False, unique=True),
    Column("experiment_id", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("source_run_id", String(64), nullable=True),
    Column("model_type", String(256), nullable=False, default=""),
    Column("status", String(32), nullable=False),
    Column("status_message", Text, nullable=False, default=""),
    Column("params", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("created_by", String(256), nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
    Index("ix_mlflow_logged_models_experiment_id", "experiment_id"),
    Index("ix_mlflow_logged_models_source_run_id", "source_run_id"),
    **MYSQL,
)

logged_model_tags = Table(
    "mlflow_logged_model_tags",
    metadata,
    Column("logged_model_id", BigInteger,
           ForeignKey("mlflow_logged_models.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)

# One row a file; a path is unique within its model (a domain rule: a re-upload
# replaces the row, under the model's row lock).
logged_model_files = Table(
    "mlflow_logged_model_files",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("logged_model_id", BigInteger,
           ForeignKey("mlflow_logged_models.id", ondelete="CASCADE"), nullable=False),
    Column("path", String(1024), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Index("ix_mlflow_logged_model_files_logged_model_id", "logged_model_id"),
    Index("ix_mlflow_logged_model_files_sha256", "sha256"),
    **MYSQL,
)

# runs/outputs: which logged models a run produced, at which step.
run_model_outputs = Table(
    "mlflow_run_model_outputs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("model_id", String(64), primary_key=True),
    Column("step", BigInteger, nullable=False, default=0),
    **MYSQL,
)

# log-inputs' ``models``: the logged models a run read.
run_model_inputs = Table(
    "mlflow_run_model_inputs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("model_id", String(64), primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    **MYSQL,
)

# Metrics logged with a ``model_id`` (MLflow 3): the logged model's own series, each
# point with the run that logged it and the dataset it was measured on.  Values as in
# ``metrics`` (schema_tracking.py): DOUBLE plus ``kind`` for NaN and the infinities.
logged_model_metrics = Table(
    "mlflow_logged_model_metrics",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("logged_model_id", BigInteger,
           ForeignKey("mlflow_logged_models.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Double, nullable=False),
    Column("kind", SmallInteger, nullable=False, default=0),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False, default=0),
    Column("run_id", String(64), nullable=False),
    Column("dataset_name", String(256), nullable=True),
    Column("dataset_digest", String(64), nullable=True),
    Index("ix_mlflow_logged_model_metrics_model_key", "logged_model_id", "key"),
    **MYSQL,
)

# A logged model's params, one row each, for search (``params.<key>`` filters); the
# ``params`` JSON column of ``mlflow_logged_models`` is what reads use, written with it.
logged_model_params = Table(
    "mlflow_logged_model_params",
    metadata,
    Column("logged_model_id", BigInteger,
           ForeignKey("mlflow_logged_models.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    **MYSQL,
)
