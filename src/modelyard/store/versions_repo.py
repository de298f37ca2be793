"""SQL for model versions: rows, tags, manifests, parents, searches and purging."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    and_,
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
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from modelyard.domain.access_records import Readable
from modelyard.domain.entities import FileEntry, ModelVersion, ParentLink
from modelyard.domain.records import VersionRecord
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.errors import InvalidParameter
from modelyard.store.rows import by_key, inserted_id
from modelyard.store.statement_memo import memoized
from modelyard.store.filters import compile_filter, compile_order
from modelyard.store.mapping import first_version_record, version_records
from modelyard.store.readable import models_readable
from modelyard.store.registry_queries import M, V, kind_of, upsert, versions_query
from modelyard.store.schema import aliases, projects, version_files, version_parents, version_tags

VERSION_COLUMNS: dict[str, ColumnElement[Any]] = {
    "model": M.c.name,
    "version": V.c.version,
    "status": V.c.status,
    "stage": V.c.stage,
    "description": V.c.description,
    "source": V.c.source,
    "run_id": V.c.run_id,
    "flavor": V.c.flavor,
    "size": V.c.size,
    "created_at": V.c.created_at,
    "updated_at": V.c.updated_at,
    "created_by": V.c.created_by,
    "project": projects.c.name,
}


# The statements of the hot read paths (a version by alias or number, the tags, aliases
# and parents of a page of versions), built once: building a statement costs more than
# running it on SQLite (a get-by-alias built five, ~0.3 ms of its 0.7 ms).
_LIVE = versions_query().where(M.c.name == bindparam("name"), M.c.deleted_id == 0,
                               V.c.deleted_at.is_(None))
_LIVE_BY_NUMBER = _LIVE.where(V.c.version == bindparam("number"))
_LIVE_BY_ALIAS = _LIVE.join(aliases, and_(aliases.c.model_id == V.c.model_id,
                                          aliases.c.version == V.c.version)
                            ).where(aliases.c.alias == bindparam("alias"))
_VERSION = {deleted: versions_query().where(
    V.c.model_id == bindparam("model_id"), V.c.version == bindparam("number"),
    *([] if deleted is None else [V.c.deleted_at.is_not(None) if deleted
                                  else V.c.deleted_at.is_(None)]))
    for deleted in (False, True, None)}
_INSERT_VERSION = insert(V)
# The latest READY version of a model, of any stage or of one (case-insensitive): the
# mlflow client reads a model (with its latest version per stage) before every alias move.
_VERSION_BY_ID = versions_query().where(V.c.id == bindparam("id"))
_LATEST = (versions_query().where(V.c.model_id == bindparam("model_id"),
                                  V.c.deleted_at.is_(None), V.c.status == "READY")
           .order_by(V.c.version.desc()).limit(1))
_LATEST_IN_STAGE = _LATEST.where(func.lower(V.c.stage) == bindparam("stage"))
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
# The latest READY version of each stage of the live models named (a page of models).
_LATEST_PER_STAGE = (select(V.c.model_id, V.c.stage, func.max(V.c.version).label("version"))
                     .join(M, M.c.id == V.c.model_id)
                     .where(M.c.name.in_(bindparam("names", expanding=True)),
                            M.c.deleted_id == 0, V.c.deleted_at.is_(None),
                            V.c.status == "READY")
                     .group_by(V.c.model_id, V.c.stage).subquery())
_LATEST_BY_STAGE = (versions_query()
                    .join(_LATEST_PER_STAGE,
                          and_(V.c.model_id == _LATEST_PER_STAGE.c.model_id,
                               V.c.version == _LATEST_PER_STAGE.c.version))
                    .order_by(M.c.name, V.c.version.desc()))
# The tags, the aliases and the parents of a page of versions in one statement (one
# round trip, and one execution's overhead instead of three): rows of
# (kind, version id, text, text, number, order), in no order: Python sorts them (tags
# by key, aliases by name, parents by parent id), as the database's collation may not.
_NO_TEXT = cast(null(), String)
_NO_NUMBER = cast(null(), BigInteger)


def _extras_of(match: Callable[[ColumnElement[Any]], ColumnElement[bool]]) -> Any:
    return union_all(
        select(literal("t").label("kind"), version_tags.c.version_id.label("vid"),
               version_tags.c.key.label("a"), version_tags.c.value.label("b"),
               _NO_NUMBER.label("n"), _NO_NUMBER.label("o"))
        .where(match(version_tags.c.version_id)),
        # Only the aliases that point at one of the versions (not every alias of their
        # models).
        select(literal("a"), V.c.id, aliases.c.alias, _NO_TEXT, _NO_NUMBER, _NO_NUMBER)
        .select_from(aliases.join(V, and_(V.c.model_id == aliases.c.model_id,
                                          V.c.version == aliases.c.version)))
        .where(match(V.c.id)),
        select(literal("p"), version_parents.c.version_id, M.c.name,
               version_parents.c.relation, V.c.version, version_parents.c.parent_id)
        .select_from(version_parents.join(V, V.c.id == version_parents.c.parent_id)
                     .join(M, M.c.id == V.c.model_id))
        .where(match(version_parents.c.version_id)),
    )


_EXTRAS_OF = _extras_of(lambda column: column.in_(_IDS))
# One version (a get, a create): no IN list to expand for each call.
_EXTRAS_OF_ONE = _extras_of(lambda column: column == bindparam("id"))


def _version_field(field: Field) -> ColumnElement[Any]:
    if field.kind == "tag":
        return (select(version_tags.c.value)
                .where(version_tags.c.version_id == V.c.id, version_tags.c.key == field.key)
                .scalar_subquery())
    if field.key == "kind":
        return kind_of(V.c.model_id)
    if field.key == "alias":
        return (select(aliases.c.alias)
                .where(aliases.c.model_id == V.c.model_id, aliases.c.version == V.c.version)
                .limit(1).scalar_subquery())
    return VERSION_COLUMNS[field.key]


@memoized
def _search_versions(node: Node | None, order: tuple[OrderKey, ...], offset: int, limit: int,
                     deleted: bool, readable: Readable | None) -> Any:
    q = (versions_query()
         .join(projects, projects.c.id == M.c.project_id)
         .where(M.c.deleted_id == 0, models_readable(readable)))
    q = q.where(V.c.deleted_at.is_not(None) if deleted else V.c.deleted_at.is_(None))
    q = q.where(compile_filter(node, _version_field))
    q = q.order_by(*compile_order(list(order), _version_field), M.c.name.asc(),
                   V.c.version.desc())
    return q.offset(offset).limit(limit)


class VersionsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _one(self, q: Any) -> VersionRecord | None:
        return first_version_record(self.conn.execute(q))

    def insert_version(self, model_id: int, number: int, *, model_name: str, status: str,
                       stage: str = "None", description: str, source: str,
                       run_id: str | None, flavor: str | None,
                       signature: dict[str, Any] | None, metrics: dict[str, float] | None,
                       files: list[FileEntry], tags: dict[str, str], now: int,
                       actor: str) -> VersionRecord:
        """Insert the version (its files and tags too) and answer the record that a read
        of it would give, built from the values written (no read back)."""
        signature_json = json.dumps(signature) if signature is not None else None
        metrics_json = json.dumps(metrics) if metrics else None
        size = sum(f.size for f in files)
        res = self.conn.execute(_INSERT_VERSION, dict(
            model_id=model_id, version=number, status=status, stage=stage,
            description=description, source=source, run_id=run_id,
            flavor=flavor or None,  # unflavored is NULL, so `flavor IS NULL` finds it
            signature=signature_json, metrics=metrics_json, size=size,
            file_count=len(files), created_at=now, updated_at=now, created_by=actor,
            updated_by=actor))
        vid = inserted_id(res)
        if files:
            self.conn.execute(insert(version_files), [
                {"version_id": vid, "ordinal": i, "path": f.path, "size": f.size,
                 "sha256": f.sha256} for i, f in enumerate(files)])
        if tags:
            self.conn.execute(insert(version_tags), [
                {"version_id": vid, "key": k, "value": v} for k, v in tags.items()])
        # What a read answers: the JSON columns decoded (a tuple comes back a list).
        return VersionRecord(
            id=vid, model_id=model_id, model=model_name, version=number, status=status,
            stage=stage, description=description, source=source, run_id=run_id,
            flavor=flavor or None,
            signature=json.loads(signature_json) if signature_json is not None else None,
            metrics=json.loads(metrics_json) if metrics_json is not None else {},
            size=size, file_count=len(files), created_at=now, updated_at=now,
            created_by=actor, updated_by=actor, deleted_at=None)

    def add_parent(self, version_id: int, parent_id: int, relation: str) -> None:
        if version_id == parent_id:
            raise InvalidParameter("a version cannot derive from itself")
        self.conn.execute(insert(version_parents).values(
            version_id=version_id, parent_id=parent_id, relation=relation))

    def version(self, model_id: int, number: int, *,
                deleted: bool | None = False) -> VersionRecord | None:
        return first_version_record(
            self.conn.execute(_VERSION[deleted], {"model_id": model_id, "number": number}))

    def live_version(self, name: str, *, number: int | None = None,
                     alias: str | None = None) -> VersionRecord | None:
        """The version of a live model by number or alias, in one query (the hot read
        path); None when anything is missing, and the caller finds out what."""
        if alias is not None:
            row = self.conn.execute(_LIVE_BY_ALIAS, {"name": name, "alias": alias})
        else:
            row = self.conn.execute(_LIVE_BY_NUMBER, {"name": name, "number": number})
        return first_version_record(row)

    def version_by_id(self, version_id: int) -> VersionRecord | None:
        return first_version_record(self.conn.execute(_VERSION_BY_ID, {"id": version_id}))

    def latest_version(self, model_id: int, stage: str | None = None) -> VersionRecord | None:
        if stage is None:
            row = self.conn.execute(_LATEST, {"model_id": model_id})
        else:
            row = self.conn.execute(_LATEST_IN_STAGE,
                                    {"model_id": model_id, "stage": stage.lower()})
        return first_version_record(row)

    def latest_by_stage(self, names: list[str]) -> list[VersionRecord]:
        """For live models named in ``names``: the latest READY version of each stage,
        in one query whatever the number of models."""
        if not names:
            return []
        return version_records(self.conn.execute(_LATEST_BY_STAGE, {"names": names}))

    def versions_in_stage(self, model_id: int, stage: str) -> list[VersionRecord]:
        q = versions_query().where(V.c.model_id == model_id, V.c.stage == stage,
                                   V.c.deleted_at.is_(None))
        return version_records(self.conn.execute(q))

    def _update(self, version_id: int, now: int, actor: str, values: dict[str, Any]) -> None:
        self.conn.execute(update(V).where(V.c.id == version_id).values(
            updated_at=now, updated_by=actor, **values))

    def update_version(self, version_id: int, now: int, actor: str, *,
                       description: str | None = None, stage: str | None = None) -> None:
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = description
        if stage is not None:
            values["stage"] = stage
        self._update(version_id, now, actor, values)

    def set_version_deleted(self, version_id: int, deleted_at: int | None, now: int,
                            actor: str) -> None:
        self._update(version_id, now, actor, {"deleted_at": deleted_at})

    def set_version_tag(self, version_id: int, key: str, value: str) -> None:
        upsert(self.conn, version_tags, {"version_id": version_id, "key": key}, {"value": value})

    def delete_version_tag(self, version_id: int, key: str) -> bool:
        res = self.conn.execute(delete(version_tags).where(
            version_tags.c.version_id == version_id, version_tags.c.key == key))
        return bool(res.rowcount)

    def files(self, version_id: int) -> list[FileEntry]:
        rows = self.conn.execute(select(version_files.c.path, version_files.c.size,
                                        version_files.c.sha256)
                                 .where(version_files.c.version_id == version_id)
                                 .order_by(version_files.c.ordinal))
        return [FileEntry(path=p, size=s, sha256=d) for p, s, d in rows]

    def file(self, version_id: int, path: str) -> FileEntry | None:
        row = self.conn.execute(select(version_files.c.path, version_files.c.size,
                                       version_files.c.sha256)
                                .where(version_files.c.version_id == version_id,
                                       version_files.c.path == path)).first()
        return FileEntry(path=row[0], size=row[1], sha256=row[2]) if row else None

    def version_entity(self, version: VersionRecord, *, with_files: bool = False) -> ModelVersion:
        return self.version_entities([version], with_files=with_files)[0]

    def version_entities(self, versions: list[VersionRecord], *,
                         with_files: bool = False) -> list[ModelVersion]:
        """Entities for a page of versions, with one query for the page."""
        ids = [v.id for v in versions]
        if not ids:
            return []
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        alias_names: dict[int, list[str]] = {}
        parents: dict[int, list[tuple[int, ParentLink]]] = {i: [] for i in ids}
        found = (self.conn.execute(_EXTRAS_OF_ONE, {"id": ids[0]}) if len(ids) == 1
                 else self.conn.execute(_EXTRAS_OF, {"ids": ids}))
        for kind, vid, a, b, n, o in found:
            if kind == "t":
                tags[vid][a] = b
            elif kind == "a":
                alias_names.setdefault(vid, []).append(a)
            else:
                parents[vid].append((int(o), ParentLink(model=a, version=int(n), relation=b)))
        return [_entity(v, by_key(tags[v.id]), sorted(alias_names.get(v.id, ())),
                        _by_id(parents[v.id]), self.files(v.id) if with_files else None)
                for v in versions]

    @staticmethod
    def new_version_entity(version: VersionRecord, tags: dict[str, str],
                           parents: list[tuple[int, ParentLink]]) -> ModelVersion:
        """The entity of a version this transaction inserted (``parents``: each parent's
        version id and link), as :meth:`version_entities` would read it back, with no
        query: tags in key order, parents in id order, and no alias (an alias names a
        version that existed when it was set)."""
        return _entity(version, by_key(tags), [], _by_id(parents), None)

    def search_versions(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                        *, deleted: bool = False,
                        readable: Readable | None = None) -> list[ModelVersion]:
        q = _search_versions(node, tuple(order), offset, limit, deleted, readable)
        return self.version_entities(version_records(self.conn.execute(q)))

    # -- garbage collection -----------------------------------------------------------
    def purge_deleted(self, before: int) -> tuple[int, int]:
        """Remove soft-deleted versions and models deleted before ``before``.

        The rows are found by a plain read, then deleted by primary key: a delete that
        scanned the tables would lock every row and gap it passed (InnoDB), and
        dead-lock with a commit inserting the next version."""
        vids = list(self.conn.execute(select(V.c.id).where(
            V.c.deleted_at.is_not(None), V.c.deleted_at <= before)).scalars())
        mids = list(self.conn.execute(select(M.c.id).where(
            M.c.deleted_id != 0, M.c.deleted_at <= before)).scalars())
        versions = models = 0
        for start in range(0, len(vids), 500):
            res = self.conn.execute(delete(V).where(V.c.id.in_(vids[start:start + 500]),
                                                    V.c.deleted_at.is_not(None)))
            versions += int(res.rowcount or 0)
        for start in range(0, len(mids), 500):
            res = self.conn.execute(delete(M).where(M.c.id.in_(mids[start:start + 500]),
                                                    M.c.deleted_id != 0))
            models += int(res.rowcount or 0)
        return versions, models

    def referenced_digests(self) -> set[str]:
        return set(self.conn.execute(select(version_files.c.sha256).distinct()).scalars())


def _by_id(parents: list[tuple[int, ParentLink]]) -> list[ParentLink]:
    if not parents:  # most versions: no sort, no key function
        return []
    return [link for _, link in sorted(parents, key=lambda p: p[0])]


def _entity(v: VersionRecord, tags: dict[str, str], alias_names: list[str],
            parents: list[ParentLink], files: list[FileEntry] | None) -> ModelVersion:
    return ModelVersion.assembled({
        "model": v.model, "version": v.version, "status": v.status, "stage": v.stage,
        "description": v.description, "tags": tags, "aliases": alias_names,
        "source": v.source, "run_id": v.run_id, "flavor": v.flavor,
        "signature": v.signature, "metrics": dict(v.metrics), "size": v.size,
        "file_count": v.file_count, "files": files, "parents": parents,
        "created_at": v.created_at, "updated_at": v.updated_at,
        "created_by": v.created_by, "updated_by": v.updated_by,
        "deleted": v.deleted_at is not None})
