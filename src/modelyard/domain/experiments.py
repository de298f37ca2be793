"""Experiments: create, find, search, rename, tag, delete (soft) and restore."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain.entities import Experiment, Page, Principal
from modelyard.domain.names import lookalike_of, skeleton_key
from modelyard.domain.ports import Transaction
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.tracking_base import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    TrackingBase,
    _pairs,
)
from modelyard.domain.validation import (
    MAX_TRACKING_PAGE,
    check_max_results,
    check_name,
    check_tag,
    nfc,
)
from modelyard.errors import AlreadyExists, InvalidParameter, NoSuchTag, NotFound


EXPERIMENT_FIELDS = FieldSet(
    attributes={
        "name": "name", "experiment_id": "experiment_id", "id": "experiment_id",
        "created_at": "created_at", "creation_time": "created_at",
        "updated_at": "updated_at", "last_update_time": "updated_at",
        "lifecycle_stage": "lifecycle_stage",
    },
    numeric=frozenset({"experiment_id", "created_at", "updated_at"}),
)


def _refuse_lookalike(tx: Transaction, name: str, *, renaming: str | None = None) -> None:
    """As for models (domain/models.py): one query on the indexed skeleton."""
    taken = [n for n in tx.tracking.experiment_names_like(skeleton_key(name)) if n != renaming]
    other = lookalike_of(name, taken)
    if other is not None:
        raise InvalidParameter(
            f"experiment name {name!r} looks like the existing experiment {other!r}; "
            "choose a name that cannot be confused with it")


class ExperimentOps(TrackingBase):
    def create_experiment(self, actor: Principal, name: str, tags: dict[str, str] | None = None,
                          artifact_location: str | None = None) -> Experiment:
        name = check_name(name, "experiment name")
        tags = dict(check_tag(k, v) for k, v in _pairs(tags, "tag"))
        location = artifact_location or ""
        if not isinstance(location, str) or len(location) > 4096 or "\x00" in location:
            raise InvalidParameter("artifact_location must be a string of at most 4096 characters")
        self._ensure_default()  # ids are allocated on its row
        with self.store.write() as tx:
            now = self.clock.now_ms()
            if tx.tracking.experiment_by_name(name) is not None:
                raise AlreadyExists(f"experiment {name!r} already exists")
            _refuse_lookalike(tx, name)
            eid = tx.tracking.insert_experiment(name, location, now)
            for k, v in tags.items():
                tx.tracking.set_experiment_tag(eid, k, v)
            ev.record(tx, now, actor, ev.ExperimentCreated(name, tags), "experiment", str(eid))
            return tx.tracking.experiment_entity(self._exp_row(tx, eid))

    def get_experiment(self, actor: Principal, experiment_id: str) -> Experiment:
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            self._ensure_default()
        with self.store.read() as tx:
            return tx.tracking.experiment_entity(self._exp_row(tx, experiment_id))

    def get_experiment_by_name(self, actor: Principal, name: str) -> Experiment:
        if name == DEFAULT_EXPERIMENT_NAME:
            self._ensure_default()
        with self.store.read() as tx:
            row = tx.tracking.experiment_by_name(name) if isinstance(name, str) else None
            if row is None and isinstance(name, str) and nfc(name) != name:
                row = tx.tracking.experiment_by_name(str(nfc(name)))  # stored in NFC
            if row is None:
                raise NotFound(f"experiment {name!r} does not exist")
            return tx.tracking.experiment_entity(row)

    def search_experiments(self, actor: Principal, filter: str | None = None,
                           order_by: list[str] | None = None, max_results: int | None = None,
                           page_token: str | None = None,
                           deleted: bool | None = False) -> Page[Experiment]:
        node = parse_filter(filter, EXPERIMENT_FIELDS)
        order = parse_order_by(order_by, EXPERIMENT_FIELDS)
        limit = check_max_results(max_results, default=1000, limit=MAX_TRACKING_PAGE)
        offset = decode_token(page_token)
        self._ensure_default()
        readable = self._readable_experiments(actor)
        with self.store.read() as tx:
            items = tx.tracking.search_experiments(node, order, offset, limit + 1, deleted,
                                                   readable=readable)
        return page_of(items, offset, limit)

    def rename_experiment(self, actor: Principal, experiment_id: str, new_name: str) -> Experiment:
        new_name = check_name(new_name, "experiment name")
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            _refuse_lookalike(tx, new_name, renaming=row.name)
            now = self.clock.now_ms()
            tx.tracking.rename_experiment(row.id, new_name, now)
            ev.record(tx, now, actor, ev.ExperimentRenamed(row.name, new_name), "experiment",
                      str(row.id))
            return tx.tracking.experiment_entity(self._exp_row(tx, row.id))

    def delete_experiment(self, actor: Principal, experiment_id: str) -> None:
        """Soft delete: the experiment and its runs are hidden from searches and
        restorable; nothing is removed, so lineage through its runs stays intact."""
        if str(experiment_id) == DEFAULT_EXPERIMENT_ID:
            raise InvalidParameter("the default experiment cannot be deleted")
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            if row.lifecycle_stage == "deleted":
                raise InvalidParameter(f"experiment {experiment_id!r} is already deleted")
            now = self.clock.now_ms()
            tx.tracking.set_experiment_lifecycle(row.id, "deleted", now, now)
            ev.record(tx, now, actor, ev.ExperimentDeleted(), "experiment", str(row.id))

    def restore_experiment(self, actor: Principal, experiment_id: str) -> Experiment:
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            if row.lifecycle_stage != "deleted":
                raise InvalidParameter(f"experiment {experiment_id!r} is not deleted")
            now = self.clock.now_ms()
            tx.tracking.set_experiment_lifecycle(row.id, "active", None, now)
            ev.record(tx, now, actor, ev.ExperimentRestored(), "experiment", str(row.id))
            return tx.tracking.experiment_entity(self._exp_row(tx, row.id))

    def set_experiment_tag(self, actor: Principal, experiment_id: str, key: str,
                           value: str) -> None:
        key, value = check_tag(key, value)
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.touch_experiment(row.id, now)
            tx.tracking.set_experiment_tag(row.id, key, value)
            ev.record(tx, now, actor, ev.ExperimentTagSet(key, value), "experiment", str(row.id))

    def delete_experiment_tag(self, actor: Principal, experiment_id: str, key: str) -> None:
        with self.store.write() as tx:
            row = self._exp_row(tx, experiment_id, lock=True)
            now = self.clock.now_ms()
            tx.tracking.touch_experiment(row.id, now)
            if not tx.tracking.delete_experiment_tag(row.id, key):
                raise NoSuchTag(f"experiment {experiment_id} has no tag {key!r}")
            ev.record(tx, now, actor, ev.ExperimentTagDeleted(key), "experiment", str(row.id))
