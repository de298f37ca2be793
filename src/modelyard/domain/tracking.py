"""TrackingService: experiments, runs, params, metrics, run tags, run artifacts, inputs.

Rules (documented in the README):
- params are immutable: logging a key again with the same value is a no-op, with a
  different value an error; values are at most 6000 characters, run tags 8000;
- a metric is a time series of (key, value, step, timestamp); NaN and ±inf are kept;
- ``log_batch`` writes every metric, param and tag of one call in one transaction;
- runs and experiments are only ever soft-deleted (``lifecycle_stage = deleted``,
  restorable), so a model version's source run and its datasets stay resolvable;
  writing to a deleted run is refused;
- the experiment ``"0"`` named ``Default`` exists lazily, as MLflow clients expect.

The service is composed of :mod:`~modelyard.domain.experiments`,
:mod:`~modelyard.domain.runs`, :mod:`~modelyard.domain.metrics` and
:mod:`~modelyard.domain.run_artifacts`.
"""

from __future__ import annotations

from modelyard.domain.experiments import EXPERIMENT_FIELDS, ExperimentOps
from modelyard.domain.metrics import MetricOps
from modelyard.domain.run_artifacts import RunArtifactOps
from modelyard.domain.runs import RUN_FIELDS, RunOps
from modelyard.domain.tracking_base import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    DEFAULT_HISTORY_PAGE,
    MAX_BATCH_METRICS,
    MAX_BATCH_PARAMS,
    MAX_BATCH_TAGS,
    MAX_HISTORY_PAGE,
)


class TrackingService(ExperimentOps, RunOps, MetricOps, RunArtifactOps):
    """Experiments, runs, params, metrics, run tags, run artifacts and inputs."""


# The limits (documented in docs/limits.md) are named here, with the service.
__all__ = ["DEFAULT_EXPERIMENT_ID", "DEFAULT_EXPERIMENT_NAME", "DEFAULT_HISTORY_PAGE",
           "EXPERIMENT_FIELDS", "MAX_BATCH_METRICS", "MAX_BATCH_PARAMS", "MAX_BATCH_TAGS",
           "MAX_HISTORY_PAGE", "RUN_FIELDS", "TrackingService"]
