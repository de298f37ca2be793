"""SQL for experiments and their tags."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, false, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.entities import Experiment
from modelyard.domain.names import skeleton_key
from modelyard.domain.records import ExperimentRecord
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.errors import AlreadyExists, Conflict
from modelyard.store.filters import compile_filter
from modelyard.store.mapping import experiment_record
from modelyard.store.schema_tracking import (
    experiment_tags,
)

from modelyard.store.tracking_sql import (
    ChildRows,
    E,
    lifecycle_filter,
    order_missing_last,
)

EXPERIMENT_COLUMNS = {
    "name": E.c.name,
    "experiment_id": E.c.id,
    "created_at": E.c.created_at,
    "updated_at": E.c.updated_at,
    "lifecycle_stage": E.c.lifecycle_stage,
}


class ExperimentsRepo(ChildRows):
    def _experiment(self, q: Any, lock: bool) -> ExperimentRecord | None:
        row = self.conn.execute(q.with_for_update() if lock else q).mappings().first()
        return None if row is None else experiment_record(row)

    def experiment(self, experiment_id: int, *, lock: bool = False) -> ExperimentRecord | None:
        return self._experiment(select(E).where(E.c.id == experiment_id), lock)

    def experiment_by_name(self, name: str, *, lock: bool = False) -> ExperimentRecord | None:
        return self._experiment(select(E).where(E.c.name == name), lock)

    def ensure_default(self, now: int) -> None:
        if self.experiment(0) is not None:
            return
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(E).values(
                    id=0, name="Default", artifact_location="", lifecycle_stage="active",
                    created_at=now, updated_at=now, name_skeleton=skeleton_key("Default")))
        except IntegrityError:  # created concurrently, or "Default" taken by a user
            pass

    def insert_experiment(self, name: str, artifact_location: str, now: int) -> int:
        """Ids are max + 1 (numeric strings, as MLflow's).  Creators queue on the row
        of the default experiment (which exists: ``ensure_default`` runs first), then
        read the highest id with a locking read, which sees the latest commit on every
        database."""
        self.conn.execute(update(E).where(E.c.id == 0).values(updated_at=E.c.updated_at))
        for _ in range(10):
            top = self.conn.execute(select(E.c.id).order_by(E.c.id.desc()).limit(1)
                                    .with_for_update()).scalar()
            new_id = max(int(top or 0), 0) + 1
            try:
                with self.conn.begin_nested():
                    self.conn.execute(insert(E).values(
                        id=new_id, name=name, artifact_location=artifact_location,
                        lifecycle_stage="active", created_at=now, updated_at=now,
                        name_skeleton=skeleton_key(name)))
                return new_id
            except IntegrityError:
                if self.experiment_by_name(name, lock=True) is not None:
                    raise AlreadyExists(f"experiment {name!r} already exists") from None
        raise Conflict("could not allocate an experiment id; retry")

    def _update_experiment(self, experiment_id: int, now: int, values: dict[str, Any]) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(update(E).where(E.c.id == experiment_id)
                                  .values(updated_at=now, **values))
        except IntegrityError:
            raise AlreadyExists(f"experiment {values.get('name')!r} already exists") from None

    def touch_experiment(self, experiment_id: int, now: int) -> None:
        """Mark updated; takes the row lock that orders writers on one experiment."""
        self._update_experiment(experiment_id, now, {})

    def rename_experiment(self, experiment_id: int, name: str, now: int) -> None:
        self._update_experiment(experiment_id, now,
                                {"name": name, "name_skeleton": skeleton_key(name)})

    def experiment_names_like(self, skeleton: str) -> list[str]:
        return list(self.conn.execute(select(E.c.name).where(
            E.c.name_skeleton == skeleton).order_by(E.c.name)).scalars())

    def set_experiment_lifecycle(self, experiment_id: int, stage: str,
                                 deleted_at: int | None, now: int) -> None:
        self._update_experiment(experiment_id, now,
                                {"lifecycle_stage": stage, "deleted_at": deleted_at})

    def set_experiment_tag(self, experiment_id: int, key: str, value: str) -> None:
        self._put(experiment_tags, {"experiment_id": experiment_id}, {key: {"value": value}})

    def delete_experiment_tag(self, experiment_id: int, key: str) -> bool:
        res = self.conn.execute(delete(experiment_tags).where(
            experiment_tags.c.experiment_id == experiment_id, experiment_tags.c.key == key))
        return bool(res.rowcount)

    def experiment_entity(self, experiment: ExperimentRecord) -> Experiment:
        e = experiment
        tags = {k: v for k, v in self.conn.execute(
            select(experiment_tags.c.key, experiment_tags.c.value)
            .where(experiment_tags.c.experiment_id == e.id))}
        return Experiment(experiment_id=str(e.id), name=e.name,
                          artifact_location=e.artifact_location,
                          lifecycle_stage=e.lifecycle_stage, tags=tags,
                          created_at=e.created_at, updated_at=e.updated_at)

    def search_experiments(self, node: Node | None, order: list[OrderKey], offset: int,
                           limit: int, deleted: bool | None, *,
                           readable: frozenset[int] | None = None) -> list[Experiment]:
        q = select(E).where(lifecycle_filter(E.c.lifecycle_stage, deleted))
        if readable is not None:
            q = q.where(E.c.id.in_(sorted(readable)) if readable else false())
        q = q.where(compile_filter(node, self._experiment_field))
        # MLflow's order: without keys, newest first with ties by id ascending; after
        # requested keys, ties by id descending.
        tie = (E.c.created_at.desc(), E.c.id.asc()) if not order else (E.c.id.desc(),)
        q = q.order_by(*order_missing_last(order, self._experiment_field), *tie)
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings().all()
        return [self.experiment_entity(experiment_record(r)) for r in rows]

    def _experiment_field(self, field: Field) -> ColumnElement[Any]:
        if field.kind == "tag":
            return (select(experiment_tags.c.value)
                    .where(experiment_tags.c.experiment_id == E.c.id,
                           experiment_tags.c.key == field.key).scalar_subquery())
        return EXPERIMENT_COLUMNS[field.key]
