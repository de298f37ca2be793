"""What every part of the tracking service shares: the stores and the clock, finding
an experiment or a run, and the coercions of MLflow-style inputs."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

from modelyard.domain.entities import Principal
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock, Transaction
from modelyard.domain.records import ExperimentRecord, RunRecord
from modelyard.domain.roles import Permission
from modelyard.domain.validation import check_int, is_ascii_int
from modelyard.errors import InvalidParameter, NotFound

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
MAX_BATCH_METRICS = 100_000
MAX_BATCH_PARAMS = 10_000
MAX_BATCH_TAGS = 10_000
MAX_HISTORY_PAGE = 100_000
DEFAULT_HISTORY_PAGE = 25_000


def _float(value: object, key: str) -> float:
    if type(value) is float:  # the usual case, first
        return value
    if isinstance(value, bool):
        raise InvalidParameter(f"metric {key!r}: value must be a number")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise InvalidParameter(f"metric {key!r}: value must be a number, not {value!r}")


def _pairs(items: Any, what: str) -> list[tuple[Any, Any]]:
    if isinstance(items, dict):
        return list(items.items())
    out = []
    for item in items or ():
        if isinstance(item, dict):
            out.append((item.get("key"), item.get("value")))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            out.append((item[0], item[1]))
        elif hasattr(item, "key") and hasattr(item, "value"):
            out.append((item.key, item.value))
        else:
            raise InvalidParameter(f"each {what} must be a (key, value) pair or {{key, value}}")
    return out


def ensure_default_experiment(store: MetadataStore, clock: Clock) -> None:
    """Create the default experiment ("0") if it is missing, in a transaction of its own
    (once per store: experiments are never removed, only marked deleted).

    Never inside a larger write: on MySQL, when two writers race to insert it, the one
    whose insert fails as a duplicate keeps a shared lock on the row after rolling back
    to its savepoint, and two such writers updating the row next dead-lock."""
    if store in _DEFAULT_SEEN:
        return
    with store.read() as tx:
        found = tx.tracking.experiment(0) is not None
    if not found:
        with store.write() as tx:
            tx.tracking.ensure_default(clock.now_ms())
    _DEFAULT_SEEN.add(store)


_DEFAULT_SEEN: weakref.WeakSet[MetadataStore] = weakref.WeakSet()


class TrackingBase:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()

    def _readable_experiments(self, actor: Principal) -> frozenset[int] | None:
        """The experiments a search may show the actor (None: all; the guarded service
        narrows)."""
        return None

    def _require_logged_models(self, actor: Principal, permission: Permission,
                               model_ids: Iterable[str]) -> None:
        """Check ``permission`` on each logged model (none here; the guarded service
        checks each model's experiment, a hidden model being NotFound like a missing one)."""

    def _exp_row(self, tx: Transaction, experiment_id: object, *, lock: bool = False) -> ExperimentRecord:
        eid = self._exp_id(experiment_id)
        row = tx.tracking.experiment(eid, lock=lock)
        if row is None:
            raise NotFound(f"experiment {experiment_id!r} does not exist")
        return row

    @staticmethod
    def _exp_id(experiment_id: object) -> int:
        text = str(experiment_id) if isinstance(experiment_id, (str, int)) else ""
        if not is_ascii_int(text) or isinstance(experiment_id, bool):
            raise InvalidParameter(f"experiment id must be a numeric string: {experiment_id!r}")
        return check_int(text, "experiment_id")

    def _ensure_default(self) -> None:
        ensure_default_experiment(self.store, self.clock)

    @staticmethod
    def _check_run_id(run_id: object) -> str:
        if not isinstance(run_id, str) or not run_id or len(run_id) > 32:
            raise InvalidParameter(f"invalid run id {run_id!r}")
        return run_id

    def _run_row(self, tx: Transaction, run_id: object, *, active: bool = False,
                 lock: bool = False) -> RunRecord:
        row = tx.tracking.run(self._check_run_id(run_id), lock=lock)
        if row is None:
            raise NotFound(f"run {run_id!r} does not exist")
        if active and row.lifecycle_stage != "active":
            raise InvalidParameter(f"run {run_id!r} is deleted; restore it before writing to it")
        return row
