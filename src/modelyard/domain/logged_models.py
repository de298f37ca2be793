"""LoggedModelService: MLflow 3's logged models (``m-<32 hex>``).

A logged model belongs to an experiment (and usually to the run that logged it); its
files are a manifest over the content-addressed blob store, filled by artifact
uploads while it is PENDING and frozen once it is READY.  Registering it as a version
reuses the manifest (same blobs, nothing copied).  Runs record the models they
produced (``runs/outputs``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import FileEntry, LoggedModel, Page, Principal
from modelyard.domain.logged_model_events import LoggedModelParamsLogged
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.manifests import check_blobs_present, list_folder
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock, Transaction
from modelyard.domain.records import LoggedModelRecord
from modelyard.domain.tracking_base import ensure_default_experiment
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.validation import (
    check_int,
    check_manifest,
    check_max_results,
    check_name,
    check_relpath,
    check_tag,
    check_text,
    is_ascii_int,
)
from modelyard.errors import InvalidParameter, NoSuchTag, NotFound

STATUSES = ("PENDING", "READY", "FAILED")


FIELDS = FieldSet(
    attributes={
        "model_id": "model_id", "id": "model_id", "name": "name",
        "experiment_id": "experiment_id", "source_run_id": "source_run_id",
        "model_type": "model_type", "status": "status",
        "creation_timestamp": "created_at", "creation_time": "created_at",
        "created_at": "created_at", "last_updated_timestamp": "updated_at",
        "updated_at": "updated_at",
    },
    numeric=frozenset({"created_at", "updated_at"}),
    kinds=frozenset({"tag", "metric", "param"}),
)
#: The tag MLflow keeps on a logged model: the versions registered from it.
MODEL_VERSIONS_TAG = "mlflow.modelVersions"


def new_model_id() -> str:
    return "m-" + uuid.uuid4().hex


class LoggedModelService:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()

    def _row(self, tx: Transaction, model_id: object, *,
             lock: bool = False) -> LoggedModelRecord:
        if not isinstance(model_id, str) or not model_id or len(model_id) > 64:
            raise InvalidParameter(f"invalid logged model id {model_id!r}")
        row = tx.logged_models.get(model_id, lock=lock)
        if row is None:
            raise NotFound(f"logged model {model_id!r} does not exist")
        return row

    def create(self, actor: Principal, experiment_id: str, name: str | None = None, *,
               source_run_id: str | None = None, model_type: str = "",
               params: dict[str, str] | None = None,
               tags: dict[str, str] | None = None) -> LoggedModel:
        model_id = new_model_id()
        name = name or model_id
        check_name(name, "logged model name")
        if not is_ascii_int(str(experiment_id)):
            raise InvalidParameter(f"experiment id must be a numeric string: {experiment_id!r}")
        tags = dict(check_tag(k, v) for k, v in (tags or {}).items())
        params = dict(check_tag(k, v, 6000) for k, v in (params or {}).items())
        if not isinstance(model_type, str) or len(model_type) > 256:
            raise InvalidParameter("model_type must be a string of at most 256 characters")
        if str(experiment_id) == "0":
            ensure_default_experiment(self.store, self.clock)
        with self.store.write() as tx:
            now = self.clock.now_ms()
            if tx.tracking.experiment(check_int(str(experiment_id), "experiment_id")) is None:
                raise NotFound(f"experiment {experiment_id!r} does not exist")
            tx.logged_models.insert(
                model_id=model_id, experiment_id=str(experiment_id), name=name,
                source_run_id=source_run_id or None, model_type=model_type, params=params,
                tags=tags, now=now, actor=actor.name)
            ev.record(tx, now, actor,
                      ev.LoggedModelCreated(name, str(experiment_id), source_run_id),
                      "logged_model", model_id)
            return tx.logged_models.entity(self._row(tx, model_id))

    def get(self, actor: Principal, model_id: str) -> LoggedModel:
        with self.store.read() as tx:
            return tx.logged_models.entity(self._row(tx, model_id))

    def finalize(self, actor: Principal, model_id: str, status: str) -> LoggedModel:
        if status not in STATUSES:
            raise InvalidParameter(f"status must be one of {', '.join(STATUSES)}")
        with self.store.write() as tx:
            row = self._row(tx, model_id, lock=True)
            now = self.clock.now_ms()
            tx.logged_models.set_status(row.id, status, now)
            ev.record(tx, now, actor, ev.LoggedModelFinalized(row.status, status),
                      "logged_model", model_id)
            return tx.logged_models.entity(self._row(tx, model_id))

    def set_tags(self, actor: Principal, model_id: str, tags: dict[str, str]) -> None:
        tags = dict(check_tag(k, v) for k, v in tags.items())
        with self.store.write() as tx:
            row = self._row(tx, model_id, lock=True)
            now = self.clock.now_ms()
            tx.logged_models.touch(row.id, now)
            for k, v in tags.items():
                tx.logged_models.set_tag(row.id, k, v)
            ev.record(tx, now, actor, ev.LoggedModelTagSet(sorted(tags)[:20]), "logged_model",
                      model_id)

    def delete_tag(self, actor: Principal, model_id: str, key: str) -> None:
        with self.store.write() as tx:
            row = self._row(tx, model_id, lock=True)
            now = self.clock.now_ms()
            if not tx.logged_models.delete_tag(row.id, key):
                raise NoSuchTag(f"logged model {model_id!r} has no tag {key!r}")
            tx.logged_models.touch(row.id, now)
            ev.record(tx, now, actor, ev.LoggedModelTagDeleted(key), "logged_model", model_id)

    def delete(self, actor: Principal, model_id: str) -> None:
        """Soft delete; versions registered from it keep their manifests."""
        with self.store.write() as tx:
            row = self._row(tx, model_id, lock=True)
            now = self.clock.now_ms()
            tx.logged_models.mark_deleted(row.id, now)
            ev.record(tx, now, actor, ev.LoggedModelDeleted(), "logged_model", model_id)

    def log_params(self, actor: Principal, model_id: str, params: dict[str, str]) -> None:
        """Add params to a logged model; a param it has keeps its value (logging it
        again with the same value is a no-op, with another an error)."""
        checked = dict(check_tag(k, v, 6000) for k, v in params.items())
        with self.store.write() as tx:
            row = self._row(tx, model_id, lock=True)
            for k, v in checked.items():
                if row.params.get(k, v) != v:
                    raise InvalidParameter(
                        f"param {k!r} of logged model {model_id} is already set to another "
                        "value; params are immutable")
            if not set(checked) - set(row.params):
                return
            now = self.clock.now_ms()
            tx.logged_models.touch(row.id, now)
            tx.logged_models.set_params(row.id, {**row.params, **checked})
            ev.record(tx, now, actor, LoggedModelParamsLogged(sorted(checked)[:20]),
                      "logged_model", model_id)

    def search(self, actor: Principal, experiment_ids: list[str] | None = None,
               filter: str | None = None, order_by: list[str] | None = None,
               max_results: int | None = None, page_token: str | None = None,
               datasets: list[dict[str, Any]] | None = None,
               order_datasets: list[dict[str, Any] | None] | None = None) -> Page[LoggedModel]:
        """``datasets`` (``[{"dataset_name", "dataset_digest"?}]``) keeps the metric
        points measured on those datasets: ``metrics.<key>`` filters look at those
        only, and without a metric filter a model needs a point on one of them.  An
        order key on a metric sorts by each model's newest point, on the dataset of
        its ``order_datasets`` entry if any (MLflow's search_logged_models)."""
        node = parse_filter(filter, FIELDS)
        order = parse_order_by(order_by, FIELDS)
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        on = _datasets(datasets)
        order_on = [None if not d else (
            check_text(d.get("dataset_name"), "dataset_name", 256) or None,
            check_text(d.get("dataset_digest"), "dataset_digest", 64) or None)
            for d in order_datasets or []]
        with self.store.read() as tx:
            items = tx.logged_models.search([str(e) for e in experiment_ids or []], node, order,
                                            offset, limit + 1, on, order_on)
        return page_of(items, offset, limit)

    # -- files ------------------------------------------------------------------------
    def add_files(self, actor: Principal, model_id: str, files: list[FileEntry]) -> None:
        """Attach blobs already in the blob store; a path that exists is replaced.
        Only while the model is PENDING: a READY model's files are frozen."""
        entries = check_manifest(files)
        with self.store.write() as tx:
            check_blobs_present(tx, self.blobs, entries)
            row = self._row(tx, model_id, lock=True)
            if row.status != "PENDING":
                raise InvalidParameter(
                    f"logged model {model_id} is {row.status}; its files can no longer change")
            now = self.clock.now_ms()
            tx.logged_models.touch(row.id, now)
            tx.logged_models.put_files(row.id, entries)
            ev.record(tx, now, actor,
                      ev.LoggedModelFilesAdded(len(entries), sum(f.size for f in entries)),
                      "logged_model", model_id)

    def files(self, actor: Principal, model_id: str, prefix: str = "") -> list[FileEntry]:
        prefix = prefix.strip("/")
        if prefix:
            check_relpath(prefix)
        with self.store.read() as tx:
            row = self._row(tx, model_id)
            return tx.logged_models.files(row.id, prefix)

    def file_entry(self, actor: Principal, model_id: str, path: str) -> FileEntry:
        check_relpath(path)
        for f in self.files(actor, model_id, path):
            if f.path == path:
                return f
        raise NotFound(f"logged model {model_id} has no file {path!r}")

    # -- run outputs ------------------------------------------------------------------
    def log_outputs(self, actor: Principal, run_id: str, models: list[tuple[str, int]]) -> None:
        with self.store.write() as tx:
            if not isinstance(run_id, str) or tx.tracking.run(run_id) is None:
                raise NotFound(f"run {run_id!r} does not exist")
            now = self.clock.now_ms()
            for model_id, step in models:
                self._row(tx, model_id)
                if isinstance(step, bool) or not isinstance(step, int):
                    raise InvalidParameter("step must be an integer")
                tx.logged_models.add_output(run_id, model_id, step)
            ev.record(tx, now, actor, ev.RunOutputsLogged([m for m, _ in models][:20]), "run",
                      run_id)

    def run_outputs(self, actor: Principal, run_id: str) -> list[tuple[str, int]]:
        with self.store.read() as tx:
            return tx.logged_models.outputs(run_id)


def _datasets(items: list[dict[str, Any]] | None) -> list[tuple[str, str | None]] | None:
    if not items:
        return None
    out = []
    for item in items:
        name = item.get("dataset_name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise InvalidParameter("`dataset_name` in the `datasets` clause must be specified.")
        digest = item.get("dataset_digest") or None
        out.append((check_text(name, "dataset_name", 256),
                    check_text(digest, "dataset_digest", 64) or None))
    return out


def link_model_version(tx: Transaction, model_id: str, name: str, version: int) -> None:
    """Record on a logged model the version registered from it (the tag MLflow's
    server sets: a JSON list of ``{"name", "version"}``).  A logged model this server
    does not hold is left alone."""
    row = tx.logged_models.get(model_id, lock=True)
    if row is None:
        return
    current = tx.logged_models.entity(row).tags.get(MODEL_VERSIONS_TAG)
    try:
        links = json.loads(current) if current else []
    except ValueError:
        links = []
    entry = {"name": name, "version": version}
    if not isinstance(links, list):
        links = []
    if entry not in links:
        links.append(entry)
    tx.logged_models.set_tag(row.id, MODEL_VERSIONS_TAG, json.dumps(links))


__all__ = ["LoggedModel", "LoggedModelService", "link_model_version", "list_folder",
           "new_model_id"]
