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
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.datasets import resolve_inputs
from modelyard.domain.entities import Experiment, FileEntry, Metric, Page, Principal, Run
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.validation import (
    check_int,
    check_manifest,
    check_max_results,
    check_metric_key,
    check_name,
    check_param,
    check_relpath,
    check_run_tag,
    check_tag,
    is_ascii_int,
)
from modelyard.errors import AlreadyExists, InvalidParameter, NotFound

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
MAX_BATCH_METRICS = 100_000
MAX_BATCH_PARAMS = 10_000
MAX_BATCH_TAGS = 10_000
MAX_HISTORY_PAGE = 100_000
DEFAULT_HISTORY_PAGE = 25_000

EXPERIMENT_CREATED = "experiment.created"
EXPERIMENT_RENAMED = "experiment.renamed"
EXPERIMENT_DELETED = "experiment.deleted"
EXPERIMENT_RESTORED = "experiment.restored"
EXPERIMENT_TAG_SET = "experiment.tag_set"
EXPERIMENT_TAG_DELETED = "experiment.tag_deleted"
RUN_CREATED = "run.created"
RUN_UPDATED = "run.updated"
RUN_DELETED = "run.deleted"
RUN_RESTORED = "run.restored"
RUN_LOGGED = "run.logged"
RUN_TAG_DELETED = "run.tag_deleted"
RUN_INPUTS_LOGGED = "run.inputs_logged"
RUN_ARTIFACTS_ADDED = "run.artifacts_added"

EXPERIMENT_FIELDS = FieldSet(
    attributes={
        "name": "name", "experiment_id": "experiment_id", "id": "experiment_id",
        "created_at": "created_at", "creation_time": "created_at",
        "updated_at": "updated_at", "last_update_time": "updated_at",
        "lifecycle_stage": "lifecycle_stage",
    },
    numeric=frozenset({"experiment_id", "created_at", "updated_at"}),
)

RUN_FIELDS = FieldSet(
    attributes={
        "run_id": "run_id", "run_uuid": "run_id", "id": "run_id",
        "run_name": "run_name", "status": "status",
        "start_time": "start_time", "created": "start_time", "end_time": "end_time",
        "user_id": "user_id", "lifecycle_stage": "lifecycle_stage",
        "parent_run_id": "parent_run_id",
    },
    numeric=frozenset({"start_time", "end_time"}),
    kinds=frozenset({"tag", "param", "metric"}),
)


def check_blobs(blobs: BlobStore, files: list[FileEntry]) -> None:
    """Every file of a manifest is in the blob store, with the size the manifest says."""
    missing = blobs.missing(f.sha256 for f in files)
    if missing:
        raise InvalidParameter(
            f"{len(missing)} file(s) were not uploaded (first: sha256 {missing[0]}); "
            "upload the missing blobs, then commit again")
    for f in files:
        if blobs.size(f.sha256) != f.size:
            raise InvalidParameter(f"file {f.path!r}: the manifest size does not match the blob")


def _int(value: object, what: str) -> int:
    return check_int(value, what)


def _float(value: object, key: str) -> float:
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


class TrackingService:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()

    # -- experiments ------------------------------------------------------------------
    def _exp_row(self, tx: Any, experiment_id: object, *, lock: bool = False) -> Any:
        eid = self._exp_id(experiment_id)
        row = tx.tracking.experiment_row(eid, lock=lock)
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
        with self.store.read() as tx:
            if tx.tracking.experiment_row(0) is not None:
                return
        with self.store.write() as tx:
            tx.tracking.ensure_default(self.clock.now_ms())

    def create_experiment(self, actor: Principal, name: str, tags: dict[str, str] | None = None,
                          artifact_location: str | None = None) -> Experiment:
        check_name(name, "experiment name")
        tags = dict(check_tag(k, v) for k, v in _pairs(tags, "tag"))
        location = artifact_location or ""
        if not isinstance(location, str) or len(location) > 4096 or "\x00" in location:
            raise InvalidParameter("artifact_location must be a string of at most 4096 characters")
        with self.store.write() as tx:
            now = self.clock.now_ms()
            tx.tracking.ensure_default(now)
            if tx.tracking.experiment_row_by_name(name) is not None:
                raise AlreadyExists(f"experiment {name!r} already exists")
            eid = tx.tracking.insert_experiment(name, location, now)
            for k, v in tags.items():
                tx.tracking.set_experiment_tag(eid, k, v)
            ev.record(tx, now, actor, EXPERIMENT_CREATED, "experiment", str(eid),
                      after={"name": name, "tags": tags})
            return tx.tracking.experiment_entity(tx.tracking.experiment_row(eid))  # type: ignore[no-any-return]

    def get_experiment(self, actor: Principal, experiment_id: str) -> Experiment:
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            self._ensure_default()
        with self.store.read() as tx:
            return tx.tracking.experiment_entity(self._exp_row(tx, experiment_id))  # type: ignore[no-any-return]

    def get_experiment_by_name(self, actor: Principal, name: str) -> Experiment:
        if name == DEFAULT_EXPERIMENT_NAME:
            self._ensure_default()
        with self.store.read() as tx:
            row = tx.tracking.experiment_row_by_name(name) if isinstance(name, str) else None
            if row is None:
                raise NotFound(f"experiment {name!r} does not exist")
            return tx.tracking.experiment_entity(row)  # type: ignore[no-any-return]

    def search_experiments(self, actor: Principal, filter: str | None = None,
                           order_by: list[str] | None = None, max_results: int | None = None,
                           page_token: str | None = None,
                           deleted: bool | None = False) -> Page[Experiment]:
        node = parse_filter(filter, EXPERIMENT_FIELDS)
        order = parse_order_by(order_by, EXPERIMENT_FIELDS)
        limit = check_max_results(max_results, default=1000, limit=50_000)
        offset = decode_token(page_token)
        self._ensure_default()
        with self.store.read() as tx:
            items = tx.tracking.search_experiments(node, order, offset, limit + 1, deleted)
        return page_of(items, offset, limit)

    def rename_experiment(self, actor: Principal, experiment_id: str, new_name: str) -> Experiment:
        check_name(new_name, "experiment name")
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.update_experiment(row["id"], now, name=new_name)
            ev.record(tx, now, actor, EXPERIMENT_RENAMED, "experiment", str(row["id"]),
                      before={"name": row["name"]}, after={"name": new_name})
            return tx.tracking.experiment_entity(tx.tracking.experiment_row(row["id"]))  # type: ignore[no-any-return]

    def delete_experiment(self, actor: Principal, experiment_id: str) -> None:
        """Soft delete: the experiment and its runs are hidden from searches and
        restorable; nothing is removed, so lineage through its runs stays intact."""
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            raise InvalidParameter("the default experiment cannot be deleted")
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            if row["lifecycle_stage"] == "deleted":
                raise InvalidParameter(f"experiment {experiment_id!r} is already deleted")
            now = self.clock.now_ms()
            tx.tracking.update_experiment(row["id"], now, lifecycle_stage="deleted",
                                          deleted_at=now)
            ev.record(tx, now, actor, EXPERIMENT_DELETED, "experiment", str(row["id"]))

    def restore_experiment(self, actor: Principal, experiment_id: str) -> Experiment:
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            if row["lifecycle_stage"] != "deleted":
                raise InvalidParameter(f"experiment {experiment_id!r} is not deleted")
            now = self.clock.now_ms()
            tx.tracking.update_experiment(row["id"], now, lifecycle_stage="active",
                                          deleted_at=None)
            ev.record(tx, now, actor, EXPERIMENT_RESTORED, "experiment", str(row["id"]))
            return tx.tracking.experiment_entity(tx.tracking.experiment_row(row["id"]))  # type: ignore[no-any-return]

    def set_experiment_tag(self, actor: Principal, experiment_id: str, key: str,
                           value: str) -> None:
        key, value = check_tag(key, value)
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.update_experiment(row["id"], now)
            tx.tracking.set_experiment_tag(row["id"], key, value)
            ev.record(tx, now, actor, EXPERIMENT_TAG_SET, "experiment", str(row["id"]),
                      after={"key": key, "value": value})

    def delete_experiment_tag(self, actor: Principal, experiment_id: str, key: str) -> None:
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.update_experiment(row["id"], now)
            if not tx.tracking.delete_experiment_tag(row["id"], key):
                raise NotFound(f"experiment {experiment_id} has no tag {key!r}")
            ev.record(tx, now, actor, EXPERIMENT_TAG_DELETED, "experiment", str(row["id"]),
                      before={"key": key})

    # -- runs -------------------------------------------------------------------------
    def _run_row(self, tx: Any, run_id: object, *, active: bool = False,
                 lock: bool = False) -> Any:
        if not isinstance(run_id, str) or not run_id or len(run_id) > 32:
            raise InvalidParameter(f"invalid run id {run_id!r}")
        row = tx.tracking.run_row(run_id, lock=lock)
        if row is None:
            raise NotFound(f"run {run_id!r} does not exist")
        if active and row["lifecycle_stage"] != "active":
            raise InvalidParameter(f"run {run_id!r} is deleted; restore it before writing to it")
        return row

    def create_run(self, actor: Principal, experiment_id: str, run_name: str | None = None,
                   start_time: int | None = None, tags: dict[str, str] | None = None,
                   parent_run_id: str | None = None, user_id: str | None = None) -> Run:
        tag_items = dict(check_run_tag(k, v) for k, v in _pairs(tags, "tag"))
        parent_run_id = parent_run_id or tag_items.get("mlflow.parentRunId") or None
        run_name = run_name or tag_items.get("mlflow.runName") or None
        run_uuid = uuid.uuid4().hex
        if run_name is None:
            run_name = f"run-{run_uuid[:8]}"
        check_run_tag("mlflow.runName", run_name)
        if len(run_name) > 250:
            raise InvalidParameter("run name is longer than 250 characters")
        tag_items["mlflow.runName"] = run_name
        user = user_id or tag_items.get("mlflow.user") or actor.name
        if not isinstance(user, str) or len(user) > 256:
            raise InvalidParameter("user_id must be a string of at most 256 characters")
        with self.store.write() as tx:
            now = self.clock.now_ms()
            if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
                tx.tracking.ensure_default(now)
            exp = self._exp_row(tx, experiment_id)
            if exp["lifecycle_stage"] != "active":
                raise InvalidParameter(f"experiment {experiment_id!r} is deleted")
            if parent_run_id is not None:
                self._run_row(tx, parent_run_id)
            start = _int(start_time, "start_time") if start_time is not None else now
            rid = tx.tracking.insert_run(run_uuid=run_uuid, experiment_id=exp["id"],
                                         name=run_name, status="RUNNING", start_time=start,
                                         user_id=user, parent_run_uuid=parent_run_id)
            tx.tracking.set_run_tags(rid, tag_items)
            ev.record(tx, now, actor, RUN_CREATED, "run", run_uuid,
                      after={"experiment_id": str(exp["id"]), "run_name": run_name,
                             "parent_run_id": parent_run_id})
            return tx.tracking.run_entity(tx.tracking.run_row(run_uuid))  # type: ignore[no-any-return]

    def get_run(self, actor: Principal, run_id: str) -> Run:
        with self.store.read() as tx:
            return tx.tracking.run_entity(self._run_row(tx, run_id))  # type: ignore[no-any-return]

    def update_run(self, actor: Principal, run_id: str, status: str | None = None,
                   end_time: int | None = None, run_name: str | None = None) -> Run:
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RUN_STATUSES:
                raise InvalidParameter(f"status must be one of {', '.join(RUN_STATUSES)}")
            values["status"] = status
        if end_time is not None:
            values["end_time"] = _int(end_time, "end_time")
        if run_name:
            check_run_tag("mlflow.runName", run_name)
            if len(run_name) > 250:
                raise InvalidParameter("run name is longer than 250 characters")
            values["name"] = run_name
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            if status in ("FINISHED", "FAILED", "KILLED") and "end_time" not in values:
                values["end_time"] = now
            if values:
                tx.tracking.update_run(row["id"], **values)
            if run_name:
                tx.tracking.set_run_tags(row["id"], {"mlflow.runName": run_name})
            ev.record(tx, now, actor, RUN_UPDATED, "run", run_id,
                      before={k: row[k] for k in values}, after=values)
            return tx.tracking.run_entity(tx.tracking.run_row(run_id))  # type: ignore[no-any-return]

    def delete_run(self, actor: Principal, run_id: str) -> None:
        """Soft delete (restorable).  A run is never removed, so the model versions and
        child runs that point at it keep a resolvable lineage."""
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.update_run(row["id"], lifecycle_stage="deleted", deleted_at=now)
            ev.record(tx, now, actor, RUN_DELETED, "run", run_id)

    def restore_run(self, actor: Principal, run_id: str) -> Run:
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.update_run(row["id"], lifecycle_stage="active", deleted_at=None)
            ev.record(tx, now, actor, RUN_RESTORED, "run", run_id)
            return tx.tracking.run_entity(tx.tracking.run_row(run_id))  # type: ignore[no-any-return]

    def search_runs(self, actor: Principal, experiment_ids: Iterable[str] | str,
                    filter: str | None = None, order_by: list[str] | None = None,
                    max_results: int | None = None, page_token: str | None = None,
                    deleted: bool | None = False) -> Page[Run]:
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        ids = [self._exp_id(e) for e in experiment_ids]
        node = parse_filter(filter, RUN_FIELDS)
        order = parse_order_by(order_by, RUN_FIELDS)
        limit = check_max_results(max_results, default=1000, limit=50_000)
        offset = decode_token(page_token)
        if not ids:
            return Page([], None)
        with self.store.read() as tx:
            items = tx.tracking.search_runs(ids, node, order, offset, limit + 1, deleted)
        return page_of(items, offset, limit)

    # -- params, metrics, tags --------------------------------------------------------
    def log_param(self, actor: Principal, run_id: str, key: str, value: Any) -> None:
        self.log_batch(actor, run_id, params=[(key, value)])

    def log_metric(self, actor: Principal, run_id: str, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None:
        self.log_batch(actor, run_id, metrics=[{"key": key, "value": value, "step": step,
                                                "timestamp": timestamp}])

    def set_run_tag(self, actor: Principal, run_id: str, key: str, value: str) -> None:
        self.log_batch(actor, run_id, tags=[(key, value)])

    def delete_run_tag(self, actor: Principal, run_id: str, key: str) -> None:
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            if not tx.tracking.delete_run_tag(row["id"], key):
                raise NotFound(f"run {run_id!r} has no tag {key!r}")
            ev.record(tx, now, actor, RUN_TAG_DELETED, "run", run_id, before={"key": key})

    def _metrics(self, items: Iterable[Any], now: int) -> list[Metric]:
        out = []
        for m in items:
            if isinstance(m, dict):
                key, value, step, ts = m.get("key"), m.get("value"), m.get("step"), m.get("timestamp")
            elif isinstance(m, Metric) or hasattr(m, "key"):
                key, value, step, ts = m.key, m.value, m.step, m.timestamp
            else:
                raise InvalidParameter("each metric must be a Metric or {key, value, step, timestamp}")
            key = check_metric_key(key)
            out.append(Metric(key=key, value=_float(value, key),
                              step=_int(step or 0, "step"),
                              timestamp=_int(ts, "timestamp") if ts else now))
        return out

    def log_batch(self, actor: Principal, run_id: str, metrics: Iterable[Any] = (),
                  params: Any = (), tags: Any = ()) -> None:
        """Metrics, params and tags of one call, all in one transaction."""
        now = self.clock.now_ms()
        metric_items = self._metrics(metrics, now)
        param_pairs = [check_param(k, v) for k, v in _pairs(params, "param")]
        tag_items = dict(check_run_tag(k, v) for k, v in _pairs(tags, "tag"))
        if len(metric_items) > MAX_BATCH_METRICS or len(param_pairs) > MAX_BATCH_PARAMS \
                or len(tag_items) > MAX_BATCH_TAGS:
            raise InvalidParameter(f"a batch holds at most {MAX_BATCH_METRICS} metrics, "
                                   f"{MAX_BATCH_PARAMS} params and {MAX_BATCH_TAGS} tags")
        new_params: dict[str, str] = {}
        for k, v in param_pairs:
            if new_params.get(k, v) != v:
                raise InvalidParameter(f"param {k!r} is given twice with different values")
            new_params[k] = v
        if not (metric_items or new_params or tag_items):
            with self.store.read() as tx:
                self._run_row(tx, run_id, active=True)
            return
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            existing = tx.tracking.params_of(row["id"], new_params)
            for k, v in existing.items():
                if new_params[k] != v:
                    raise InvalidParameter(
                        f"param {k!r} of run {run_id} is already {_short(v)}; params are "
                        f"immutable, it cannot change to {_short(new_params[k])}")
            tx.tracking.insert_params(row["id"], {k: v for k, v in new_params.items()
                                                  if k not in existing})
            tx.tracking.insert_metrics(row["id"], metric_items)
            tx.tracking.set_run_tags(row["id"], tag_items)
            ev.record(tx, now, actor, RUN_LOGGED, "run", run_id, after={
                "metrics": len(metric_items), "metric_keys": sorted({m.key for m in metric_items})[:20],
                "params": sorted(new_params)[:20], "tags": sorted(tag_items)[:20]})

    def get_metric_history(self, actor: Principal, run_id: str, key: str,
                           max_results: int | None = None,
                           page_token: str | None = None) -> Page[Metric]:
        check_metric_key(key)
        limit = check_max_results(max_results, DEFAULT_HISTORY_PAGE, MAX_HISTORY_PAGE)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            row = self._run_row(tx, run_id)
            items = tx.tracking.metric_history(row["id"], key, offset, limit + 1)
        return page_of(items, offset, limit)

    # -- inputs -----------------------------------------------------------------------
    def log_inputs(self, actor: Principal, run_id: str, datasets: Iterable[Any]) -> list[dict[str, Any]]:
        """Record the dataset versions a run read.  Each item is a DatasetVersion, a
        ``name/version`` reference, ``{"name", "version", "context"}``, or an
        MLflow-style ``{"name", "digest", "source", "source_type", "schema", "profile",
        "context"}`` (a dataset version with that digest is found or created)."""
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            resolved = resolve_inputs(tx, now, actor, datasets)
            for version_id, context, _ in resolved:
                tx.tracking.add_input(row["id"], version_id, context, now)
            refs = [ref for _, _, ref in resolved]
            ev.record(tx, now, actor, RUN_INPUTS_LOGGED, "run", run_id, after={"datasets": refs})
            return tx.tracking.inputs_of([row["id"]]).get(row["id"], [])  # type: ignore[no-any-return]

    # -- run artifacts ----------------------------------------------------------------
    def add_run_artifacts(self, actor: Principal, run_id: str, files: list[FileEntry],
                          prefix: str = "") -> list[FileEntry]:
        """Attach blobs already in the blob store as run artifacts under ``prefix``;
        a path that exists is replaced."""
        prefix = prefix.rstrip("/") if isinstance(prefix, str) else ""
        if prefix:
            check_relpath(prefix)
        entries = check_manifest(files)
        if prefix:
            entries = check_manifest([FileEntry(f"{prefix}/{f.path}", f.size, f.sha256)
                                      for f in entries])
        check_blobs(self.blobs, entries)
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            tx.tracking.put_artifacts(row["id"], entries)
            ev.record(tx, now, actor, RUN_ARTIFACTS_ADDED, "run", run_id,
                      after={"files": len(entries), "size": sum(f.size for f in entries),
                             "prefix": prefix})
        return entries

    def _artifact_path(self, path: str) -> str:
        path = (path or "").rstrip("/")
        if path:
            check_relpath(path)
        return path

    def run_artifact_files(self, actor: Principal, run_id: str, prefix: str = "") -> list[FileEntry]:
        prefix = self._artifact_path(prefix)
        with self.store.read() as tx:
            row = self._run_row(tx, run_id)
            return tx.tracking.artifacts(row["id"], prefix)  # type: ignore[no-any-return]

    def run_artifact_entry(self, actor: Principal, run_id: str, path: str) -> FileEntry:
        path = self._artifact_path(path)
        with self.store.read() as tx:
            row = self._run_row(tx, run_id)
            entry = tx.tracking.artifact(row["id"], path) if path else None
        if entry is None:
            raise NotFound(f"run {run_id} has no artifact {path!r}")
        return entry  # type: ignore[no-any-return]

    def list_run_artifacts(self, actor: Principal, run_id: str, path: str = "") -> list[dict[str, Any]]:
        """One folder level under ``path``: files with their size, folders with None."""
        path = self._artifact_path(path)
        files = self.run_artifact_files(actor, run_id, path)
        base = path + "/" if path else ""
        out: dict[str, dict[str, Any]] = {}
        for f in files:
            if f.path == path:
                return []  # a file, not a folder
            head, sep, _ = f.path[len(base):].partition("/")
            full = base + head
            if sep:
                out.setdefault(full, {"path": full, "is_dir": True, "size": None})
            else:
                out[full] = {"path": full, "is_dir": False, "size": f.size}
        return [out[k] for k in sorted(out)]


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


__all__ = ["DEFAULT_EXPERIMENT_ID", "TrackingService", "check_blobs"]
