"""Runs: create, read, update, search, delete (soft) and restore; the dataset versions
a run read (inputs)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.datasets import resolve_inputs
from modelyard.domain.entities import Page, Principal, Run
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.tracking_base import DEFAULT_EXPERIMENT_ID, RUN_STATUSES, TrackingBase, _pairs
from modelyard.domain.validation import (
    check_int,
    MAX_TRACKING_PAGE,
    check_max_results,
    check_run_name,
    check_run_tag,
    check_text,
)
from modelyard.errors import InvalidParameter


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


_ENDED = ("FINISHED", "FAILED", "KILLED")


class RunOps(TrackingBase):
    def create_run(self, actor: Principal, experiment_id: str | None,
                   run_name: str | None = None, start_time: int | None = None,
                   tags: dict[str, str] | None = None, parent_run_id: str | None = None,
                   user_id: str | None = None) -> Run:
        """A new RUNNING run.  ``experiment_id`` None puts a child run (one with a parent,
        given or in the ``mlflow.parentRunId`` tag) in its parent's experiment, any
        other run in the default experiment."""
        tag_items = dict(check_run_tag(k, v) for k, v in _pairs(tags, "tag"))
        parent_run_id = parent_run_id or tag_items.get("mlflow.parentRunId") or None
        run_name = run_name or tag_items.get("mlflow.runName") or None
        run_uuid = uuid.uuid4().hex
        if run_name is None:
            run_name = f"run-{run_uuid[:8]}"
        tag_items["mlflow.runName"] = check_run_name(run_name)
        user = user_id or tag_items.get("mlflow.user") or actor.name
        if not isinstance(user, str) or len(user) > 256:
            raise InvalidParameter("user_id must be a string of at most 256 characters")
        if experiment_id is None or str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            self._ensure_default()
        with self.store.write() as tx:
            now = self.clock.now_ms()
            # A parent this server does not hold (runs of another tracking server) is
            # kept as a reference, as MLflow keeps the tag.
            parent = None if parent_run_id is None else tx.tracking.run(parent_run_id)
            if experiment_id is None:
                experiment_id = (DEFAULT_EXPERIMENT_ID if parent is None
                                 else str(parent.experiment_id))
            exp = self._exp_row(tx, experiment_id)
            if exp.lifecycle_stage != "active":
                raise InvalidParameter(f"experiment {experiment_id!r} is deleted")
            start = check_int(start_time, "start_time") if start_time is not None else now
            rid = tx.tracking.insert_run(run_uuid=run_uuid, experiment_id=exp.id,
                                         name=run_name, status="RUNNING", start_time=start,
                                         user_id=user, parent_run_uuid=parent_run_id)
            tx.tracking.insert_run_tags(rid, tag_items)
            ev.record(tx, now, actor, ev.RunCreated(str(exp.id), run_name, parent_run_id), "run",
                      run_uuid)
        # The run as a read of it gives it, from what was written: nothing logged yet,
        # tags in key order.
        return Run(run_id=run_uuid, experiment_id=str(exp.id), run_name=run_name,
                   status="RUNNING", start_time=start, end_time=None, lifecycle_stage="active",
                   user_id=user, tags=dict(sorted(tag_items.items())),
                   parent_run_id=parent_run_id)

    def get_run(self, actor: Principal, run_id: str, *, tags_only: bool = False) -> Run:
        """The run; ``tags_only``: its attributes and tags, with no params, metrics or
        inputs (two queries instead of five, for callers that read only tags)."""
        with self.store.read() as tx:
            return tx.tracking.run_entity(self._run_row(tx, run_id), tags_only=tags_only)

    def update_run(self, actor: Principal, run_id: str, status: str | None = None,
                   end_time: int | None = None, run_name: str | None = None) -> Run:
        values: dict[str, Any] = {}
        if status is not None:
            if status not in RUN_STATUSES:
                raise InvalidParameter(f"status must be one of {', '.join(RUN_STATUSES)}")
            values["status"] = status
        if end_time is not None:
            values["end_time"] = check_int(end_time, "end_time")
        if run_name:
            values["name"] = check_run_name(run_name)
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            # A run that ends without an end time sent ends now; a run that had ended
            # keeps its end time when only its final status is corrected (MLflow
            # changes the end time only when one is sent).
            if (status in _ENDED and "end_time" not in values
                    and not (row.status in _ENDED and row.end_time is not None)):
                values["end_time"] = now
            new_end = values.get("end_time")
            tx.tracking.update_run(row.id, status=status, end_time=new_end,
                                   name=run_name or None)
            if run_name:
                tx.tracking.set_run_tags(row.id, {"mlflow.runName": run_name})
            ev.record(tx, now, actor, ev.RunUpdated(
                old_status=row.status, old_end_time=row.end_time, old_name=row.name,
                status=status, end_time=new_end, name=run_name or None), "run", run_id)
            return tx.tracking.run_entity(self._run_row(tx, run_id))

    def delete_run(self, actor: Principal, run_id: str) -> None:
        """Soft delete (restorable).  A run is never removed, so the model versions and
        child runs that point at it keep a resolvable lineage."""
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.set_run_lifecycle(row.id, "deleted", now)
            ev.record(tx, now, actor, ev.RunDeleted(), "run", run_id)

    def restore_run(self, actor: Principal, run_id: str) -> Run:
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.set_run_lifecycle(row.id, "active", None)
            ev.record(tx, now, actor, ev.RunRestored(), "run", run_id)
            return tx.tracking.run_entity(self._run_row(tx, run_id))

    def search_runs(self, actor: Principal, experiment_ids: Iterable[str] | str,
                    filter: str | None = None, order_by: list[str] | None = None,
                    max_results: int | None = None, page_token: str | None = None,
                    deleted: bool | None = False) -> Page[Run]:
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        ids = [self._exp_id(e) for e in experiment_ids]
        node = parse_filter(filter, RUN_FIELDS)
        order = parse_order_by(order_by, RUN_FIELDS)
        limit = check_max_results(max_results, default=1000, limit=MAX_TRACKING_PAGE)
        offset = decode_token(page_token)
        if not ids:
            return Page([], None)
        with self.store.read() as tx:
            items = tx.tracking.search_runs(ids, node, order, offset, limit + 1, deleted)
        return page_of(items, offset, limit)

    # -- inputs -----------------------------------------------------------------------
    def log_inputs(self, actor: Principal, run_id: str, datasets: Iterable[Any],
                   models: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Record the dataset versions a run read.  Each item is a DatasetVersion, a
        ``name/version`` reference, ``{"name", "version", "context"}``, or an
        MLflow-style ``{"name", "digest", "source", "source_type", "schema", "profile",
        "context", "tags"}`` (a dataset version with that digest is found or created).
        ``models`` are the logged models the run read (MLflow's model inputs).  An
        input the run has already keeps its first context and tags, as in MLflow."""
        model_ids = [check_text(m, "model_id", 64) for m in models or ()]
        with self.store.write() as tx:
            row = self._run_row(tx, run_id, active=True, lock=True)
            now = self.clock.now_ms()
            resolved = resolve_inputs(tx, now, actor, datasets)
            for version_id, context, _, tags in resolved:
                tx.tracking.add_input(row.id, version_id, context, now, tags)
            read = list(dict.fromkeys(m for m in model_ids if m))
            for model_id in read:
                tx.logged_models.add_input(run_id, model_id, now)
            refs = [ref for _, _, ref, _ in resolved]
            ev.record(tx, now, actor, ev.RunInputsLogged(refs, read[:20] or None), "run",
                      run_id)
            return tx.tracking.inputs_of([row.id]).get(row.id, [])
