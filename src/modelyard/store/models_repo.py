"""SQL for projects, registered models and their tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from modelyard.domain.access_records import Readable
from modelyard.domain.entities import Project, RegisteredModel
from modelyard.domain.names import skeleton_key
from modelyard.domain.records import ModelRecord
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.errors import AlreadyExists
from modelyard.store.rows import by_key, inserted_id, statement_savepoint
from modelyard.store.statement_memo import memoized
from modelyard.store.filters import compile_filter, compile_order
from modelyard.store.mapping import model_record
from modelyard.store.readable import models_readable
from modelyard.store.registry_queries import M, V, kind_of, models_query, upsert
from modelyard.store.schema import aliases, model_tags, projects

# Statements of every model write, built once (building one cost more than running it).
_MODEL_BY_NAME = {deleted: models_query(deleted).where(M.c.name == bindparam("name"))
                  .order_by(M.c.id.desc()).limit(1) for deleted in (False, True)}
_UPDATE_MODEL = update(M).where(M.c.id == bindparam("b_model_id"))
# Only a live model takes a number; the name is read under the row lock the UPDATE
# takes (a rename that committed since the model was looked up is what the version
# belongs to).
_BUMP_VERSION = (update(M).where(M.c.id == bindparam("b_model_id"), M.c.deleted_id == 0)
                 .values(next_version=M.c.next_version + 1))
_TAKEN_VERSION = select(M.c.next_version - 1, M.c.name).where(M.c.id == bindparam("b_model_id"))
_BUMP_RETURNING = _BUMP_VERSION.returning(M.c.next_version - 1, M.c.name)
_PROJECT_ID = select(projects.c.id).where(projects.c.name == bindparam("name"))
_INSERT_MODEL = insert(M)
_NAMES_LIKE = (select(M.c.name).where(M.c.name_skeleton == bindparam("skeleton"),
                                      M.c.deleted_id == 0).order_by(M.c.name))
_MIDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
# The tags, the aliases and the latest version number of a page of models in one
# statement (one execution's overhead instead of three): rows of
# (kind, model id, text, text, number), in no order: Python sorts tags by key and
# aliases by name (code points, whatever the database's collation would do).
_NO_TEXT = cast(null(), String)


def _extras_of(match: Callable[[ColumnElement[Any]], ColumnElement[bool]]) -> Any:
    return union_all(
        select(literal("t").label("kind"), model_tags.c.model_id.label("mid"),
               model_tags.c.key.label("a"), model_tags.c.value.label("b"),
               cast(null(), BigInteger).label("n"))
        .where(match(model_tags.c.model_id)),
        select(literal("a"), aliases.c.model_id, aliases.c.alias, _NO_TEXT, aliases.c.version)
        .where(match(aliases.c.model_id)),
        select(literal("l"), V.c.model_id, _NO_TEXT, _NO_TEXT, func.max(V.c.version))
        .where(match(V.c.model_id), V.c.deleted_at.is_(None))
        .group_by(V.c.model_id),
    )


_EXTRAS_OF = _extras_of(lambda column: column.in_(_MIDS))
# One model (a get, a create): no IN list to expand for each call.
_EXTRAS_OF_ONE = _extras_of(lambda column: column == bindparam("id"))

MODEL_COLUMNS: dict[str, ColumnElement[object]] = {
    "name": M.c.name,
    "description": M.c.description,
    "created_at": M.c.created_at,
    "updated_at": M.c.updated_at,
    "created_by": M.c.created_by,
    "project": projects.c.name,
}


def _model_field(field: Field) -> ColumnElement[object]:
    if field.kind == "tag":
        return (select(model_tags.c.value)
                .where(model_tags.c.model_id == M.c.id, model_tags.c.key == field.key)
                .scalar_subquery())
    if field.key == "kind":
        return kind_of(M.c.id)
    return MODEL_COLUMNS[field.key]


@memoized
def _search_models(node: Node | None, order: tuple[OrderKey, ...], offset: int, limit: int,
                   deleted: bool, readable: Readable | None) -> Any:
    q = models_query(deleted).where(compile_filter(node, _model_field),
                                    models_readable(readable))
    q = q.order_by(*compile_order(list(order), _model_field), M.c.name.asc(), M.c.id.asc())
    return q.offset(offset).limit(limit)


class ModelsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- projects ---------------------------------------------------------------------
    def project_id(self, name: str, *, latest: bool = False) -> int | None:
        q = _PROJECT_ID
        if latest:  # a locking read sees the newest commit, even under repeatable read
            q = q.with_for_update(read=True)
        pid = self.conn.execute(q, {"name": name}).scalar()
        return None if pid is None else int(pid)

    def insert_project(self, name: str, description: str, now: int, actor: str) -> int:
        try:
            with self.conn.begin_nested():
                res = self.conn.execute(insert(projects).values(
                    name=name, description=description, created_at=now, created_by=actor,
                    name_skeleton=skeleton_key(name)))
        except IntegrityError:
            raise AlreadyExists(f"project {name!r} already exists") from None
        return inserted_id(res)

    def project_names_like(self, skeleton: str) -> list[str]:
        return list(self.conn.execute(select(projects.c.name).where(
            projects.c.name_skeleton == skeleton).order_by(projects.c.name)).scalars())

    def list_projects(self) -> list[Project]:
        rows = self.conn.execute(select(projects).order_by(projects.c.name)).mappings()
        return [Project(name=r["name"], description=r["description"],
                        created_at=r["created_at"], created_by=r["created_by"]) for r in rows]

    # -- registered models ------------------------------------------------------------
    def model(self, name: str, *, deleted: bool = False) -> ModelRecord | None:
        row = self.conn.execute(_MODEL_BY_NAME[deleted], {"name": name}).mappings().first()
        return None if row is None else model_record(row)

    def insert_model(self, name: str, project_id: int, description: str, now: int,
                     actor: str) -> int:
        try:
            with statement_savepoint(self.conn):
                res = self.conn.execute(_INSERT_MODEL, dict(
                    name=name, deleted_id=0, project_id=project_id, description=description,
                    next_version=1, created_at=now, updated_at=now, created_by=actor,
                    updated_by=actor, name_skeleton=skeleton_key(name)))
        except IntegrityError:
            raise AlreadyExists(f"registered model {name!r} already exists") from None
        return inserted_id(res)

    def model_names_like(self, skeleton: str) -> list[str]:
        return list(self.conn.execute(_NAMES_LIKE, {"skeleton": skeleton}).scalars())

    def _update_model(self, model_id: int, now: int, actor: str, values: dict[str, object],
                      taken: str | None = None) -> None:
        """Every write on a model goes through here first, which takes the row lock and
        so orders concurrent writers on one model.  ``taken``: the name the write may
        collide with (a rename, a restore), which needs a savepoint on PostgreSQL and
        MySQL to turn the collision into AlreadyExists; any other write cannot collide."""
        # The parameters name the columns set (plain values only).
        params = {"b_model_id": model_id, "updated_at": now, "updated_by": actor, **values}
        if taken is None:
            self.conn.execute(_UPDATE_MODEL, params)
            return
        try:
            with statement_savepoint(self.conn):
                self.conn.execute(_UPDATE_MODEL, params)
        except IntegrityError:
            raise AlreadyExists(f"registered model {taken!r} already exists") from None

    def touch_model(self, model_id: int, now: int, actor: str) -> None:
        self._update_model(model_id, now, actor, {})

    def set_model_description(self, model_id: int, description: str, now: int,
                              actor: str) -> None:
        self._update_model(model_id, now, actor, {"description": description})

    def rename_model(self, model_id: int, name: str, now: int, actor: str) -> None:
        self._update_model(model_id, now, actor,
                           {"name": name, "name_skeleton": skeleton_key(name)}, taken=name)

    def set_model_deleted(self, model_id: int, deleted: bool, now: int, actor: str) -> None:
        name = self.conn.execute(select(M.c.name).where(M.c.id == model_id)).scalar()
        self._update_model(model_id, now, actor, {
            "deleted_id": model_id if deleted else 0, "deleted_at": now if deleted else None},
            taken=name)

    def take_version(self, model_id: int, now: int, actor: str) -> tuple[int, str] | None:
        # The model is marked updated by the same statement (touch_model's row lock).
        params = {"b_model_id": model_id, "updated_at": now, "updated_by": actor}
        if self.conn.dialect.update_returning:  # SQLite, PostgreSQL: one statement
            row = self.conn.execute(_BUMP_RETURNING, params).first()
        elif self.conn.execute(_BUMP_VERSION, params).rowcount != 1:
            row = None
        else:
            row = self.conn.execute(_TAKEN_VERSION, {"b_model_id": model_id}).first()
        return (int(row[0]), str(row[1])) if row is not None else None

    def set_model_tag(self, model_id: int, key: str, value: str) -> None:
        upsert(self.conn, model_tags, {"model_id": model_id, "key": key}, {"value": value})

    def delete_model_tag(self, model_id: int, key: str) -> bool:
        res = self.conn.execute(delete(model_tags).where(
            model_tags.c.model_id == model_id, model_tags.c.key == key))
        return bool(res.rowcount)

    def model_entity(self, model: ModelRecord) -> RegisteredModel:
        return self.model_entities([model])[0]

    def model_entities(self, models: list[ModelRecord]) -> list[RegisteredModel]:
        """Entities for a page of models, with one query for the whole page."""
        ids = [m.id for m in models]
        if not ids:
            return []
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        alias_map: dict[int, dict[str, int]] = {i: {} for i in ids}
        latest: dict[int, int] = {}
        found = (self.conn.execute(_EXTRAS_OF_ONE, {"id": ids[0]}) if len(ids) == 1
                 else self.conn.execute(_EXTRAS_OF, {"ids": ids}))
        for kind, mid, a, b, n in found:
            if kind == "t":
                tags[mid][a] = b
            elif kind == "a":
                alias_map[mid][a] = int(n)
            elif n is not None:
                latest[int(mid)] = int(n)
        return [RegisteredModel.assembled({
            "name": m.name, "project": m.project, "description": m.description,
            "tags": by_key(tags[m.id]), "aliases": by_key(alias_map[m.id]),
            "latest_version": latest.get(m.id), "created_at": m.created_at,
            "updated_at": m.updated_at, "created_by": m.created_by,
            "updated_by": m.updated_by, "deleted": m.deleted}) for m in models]

    def search_models(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                      *, deleted: bool = False,
                      readable: Readable | None = None) -> list[RegisteredModel]:
        q = _search_models(node, tuple(order), offset, limit, deleted, readable)
        rows = self.conn.execute(q).mappings().all()
        return self.model_entities([model_record(r) for r in rows])
