"""SQL for registered models, versions, tags, aliases and projects."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.entities import (
    FileEntry,
    ModelVersion,
    ParentLink,
    Project,
    RegisteredModel,
)
from modelyard.domain.search import Field, Node, OrderKey
from modelyard.errors import AlreadyExists, InvalidParameter
from modelyard.store.filters import compile_filter, compile_order
from modelyard.store.schema import (
    aliases,
    model_tags,
    model_versions,
    projects,
    registered_models,
    version_files,
    version_parents,
    version_tags,
)

M, V = registered_models, model_versions

MODEL_COLUMNS = {
    "name": M.c.name,
    "description": M.c.description,
    "created_at": M.c.created_at,
    "updated_at": M.c.updated_at,
    "created_by": M.c.created_by,
    "project": projects.c.name,
}

VERSION_COLUMNS = {
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


class RegistryRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- projects ---------------------------------------------------------------------
    def project_id(self, name: str) -> int | None:
        return self.conn.execute(select(projects.c.id).where(projects.c.name == name)).scalar()

    def insert_project(self, name: str, description: str, now: int, actor: str) -> int:
        try:
            with self.conn.begin_nested():
                res = self.conn.execute(insert(projects).values(
                    name=name, description=description, created_at=now, created_by=actor))
        except IntegrityError:
            raise AlreadyExists(f"project {name!r} already exists") from None
        return int(res.inserted_primary_key[0])

    def list_projects(self) -> list[Project]:
        rows = self.conn.execute(select(projects).order_by(projects.c.name)).mappings()
        return [Project(name=r["name"], description=r["description"],
                        created_at=r["created_at"], created_by=r["created_by"]) for r in rows]

    # -- registered models ------------------------------------------------------------
    def model_row(self, name: str, *, deleted: bool = False) -> Any:
        q = _models(deleted).where(M.c.name == name)
        return self.conn.execute(q.order_by(M.c.id.desc()).limit(1)).mappings().first()

    def insert_model(self, name: str, project_id: int, description: str, now: int,
                     actor: str) -> int:
        try:
            with self.conn.begin_nested():
                res = self.conn.execute(insert(M).values(
                    name=name, deleted_id=0, project_id=project_id, description=description,
                    next_version=1, created_at=now, updated_at=now, created_by=actor,
                    updated_by=actor))
        except IntegrityError:
            raise AlreadyExists(f"registered model {name!r} already exists") from None
        return int(res.inserted_primary_key[0])

    def touch_model(self, model_id: int, now: int, actor: str, **values: Any) -> None:
        """Update a model row; every write on a model goes through here first, which
        takes the row lock and so orders concurrent writers on one model."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(update(M).where(M.c.id == model_id).values(
                    updated_at=now, updated_by=actor, **values))
        except IntegrityError:
            raise AlreadyExists(f"registered model {values.get('name')!r} already exists") from None

    def set_model_deleted(self, model_id: int, now: int | None, actor: str) -> None:
        deleted_id = model_id if now is not None else 0
        self.touch_model(model_id, now or 0, actor, deleted_id=deleted_id, deleted_at=now)

    def next_version(self, model_id: int) -> int:
        self.conn.execute(update(M).where(M.c.id == model_id).values(
            next_version=M.c.next_version + 1))
        return int(self.conn.execute(
            select(M.c.next_version - 1).where(M.c.id == model_id)).scalar_one())

    def set_model_tag(self, model_id: int, key: str, value: str) -> None:
        _upsert(self.conn, model_tags, {"model_id": model_id, "key": key}, {"value": value})

    def delete_model_tag(self, model_id: int, key: str) -> bool:
        res = self.conn.execute(delete(model_tags).where(
            model_tags.c.model_id == model_id, model_tags.c.key == key))
        return bool(res.rowcount)

    def model_entity(self, row: Any) -> RegisteredModel:
        return self.model_entities([row])[0]

    def model_entities(self, rows: list[Any]) -> list[RegisteredModel]:
        """Entities for a page of rows, with three queries for the whole page."""
        ids = [r["id"] for r in rows]
        if not ids:
            return []
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        for mid, k, v in self.conn.execute(select(model_tags.c.model_id, model_tags.c.key,
                                                  model_tags.c.value)
                                           .where(model_tags.c.model_id.in_(ids))):
            tags[mid][k] = v
        alias_map: dict[int, dict[str, int]] = {i: {} for i in ids}
        for mid, a, ver in self.conn.execute(select(aliases.c.model_id, aliases.c.alias,
                                                    aliases.c.version)
                                             .where(aliases.c.model_id.in_(ids))
                                             .order_by(aliases.c.alias)):
            alias_map[mid][a] = ver
        latest = dict(self.conn.execute(
            select(V.c.model_id, func.max(V.c.version))
            .where(V.c.model_id.in_(ids), V.c.deleted_at.is_(None))
            .group_by(V.c.model_id)).all())
        return [RegisteredModel(
            name=r["name"], project=r["project"], description=r["description"],
            tags=tags[r["id"]], aliases=alias_map[r["id"]], latest_version=latest.get(r["id"]),
            created_at=r["created_at"], updated_at=r["updated_at"],
            created_by=r["created_by"], updated_by=r["updated_by"],
            deleted=r["deleted_id"] != 0) for r in rows]

    def search_models(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                      *, deleted: bool = False) -> list[RegisteredModel]:
        q = _models(deleted).where(compile_filter(node, self._model_field))
        q = q.order_by(*compile_order(order, self._model_field), M.c.name.asc(), M.c.id.asc())
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings().all()
        return self.model_entities(list(rows))

    def _model_field(self, field: Field) -> ColumnElement:
        if field.kind == "tag":
            return (select(model_tags.c.value)
                    .where(model_tags.c.model_id == M.c.id, model_tags.c.key == field.key)
                    .scalar_subquery())
        return MODEL_COLUMNS[field.key]

    # -- versions ---------------------------------------------------------------------
    def insert_version(self, model_id: int, number: int, *, status: str, description: str,
                       source: str, run_id: str | None, flavor: str,
                       signature: dict | None, metrics: dict | None, files: list[FileEntry],
                       tags: dict[str, str], now: int, actor: str) -> int:
        res = self.conn.execute(insert(V).values(
            model_id=model_id, version=number, status=status, stage="None",
            description=description, source=source, run_id=run_id, flavor=flavor,
            signature=json.dumps(signature) if signature is not None else None,
            metrics=json.dumps(metrics) if metrics else None,
            size=sum(f.size for f in files), file_count=len(files),
            created_at=now, updated_at=now, created_by=actor, updated_by=actor))
        vid = int(res.inserted_primary_key[0])
        if files:
            self.conn.execute(insert(version_files), [
                {"version_id": vid, "ordinal": i, "path": f.path, "size": f.size,
                 "sha256": f.sha256} for i, f in enumerate(files)])
        if tags:
            self.conn.execute(insert(version_tags), [
                {"version_id": vid, "key": k, "value": v} for k, v in tags.items()])
        return vid

    def add_parent(self, version_id: int, parent_id: int, relation: str) -> None:
        if version_id == parent_id:
            raise InvalidParameter("a version cannot derive from itself")
        self.conn.execute(insert(version_parents).values(
            version_id=version_id, parent_id=parent_id, relation=relation))

    def version_row(self, model_id: int, number: int, *, deleted: bool | None = False) -> Any:
        q = select(V).where(V.c.model_id == model_id, V.c.version == number)
        if deleted is not None:
            q = q.where(V.c.deleted_at.is_not(None) if deleted else V.c.deleted_at.is_(None))
        return self.conn.execute(q).mappings().first()

    def live_version_row(self, name: str, *, number: int | None = None,
                         alias: str | None = None) -> Any:
        """The version row of a live model by number or alias, in one query (the hot
        read path); None when anything is missing, and the caller finds out what."""
        q = select(V).join(M, M.c.id == V.c.model_id).where(
            M.c.name == name, M.c.deleted_id == 0, V.c.deleted_at.is_(None))
        if alias is not None:
            q = q.join(aliases, and_(aliases.c.model_id == V.c.model_id,
                                     aliases.c.version == V.c.version)
                       ).where(aliases.c.alias == alias)
        else:
            q = q.where(V.c.version == number)
        return self.conn.execute(q).mappings().first()

    def version_by_id(self, version_id: int) -> Any:
        q = select(V, M.c.name.label("model")).join(M, M.c.id == V.c.model_id)
        return self.conn.execute(q.where(V.c.id == version_id)).mappings().first()

    def latest_version_row(self, model_id: int, stage: str | None = None) -> Any:
        q = select(V).where(V.c.model_id == model_id, V.c.deleted_at.is_(None),
                            V.c.status == "READY")
        if stage is not None:
            q = q.where(func.lower(V.c.stage) == stage.lower())
        return self.conn.execute(q.order_by(V.c.version.desc()).limit(1)).mappings().first()

    def latest_rows_by_stage(self, names: list[str]) -> list[Any]:
        """For live models named in ``names``: the latest READY version of each stage
        (rows with ``model_name``), in two queries whatever the number of models."""
        if not names:
            return []
        latest = (select(V.c.model_id, V.c.stage, func.max(V.c.version).label("version"))
                  .join(M, M.c.id == V.c.model_id)
                  .where(M.c.name.in_(names), M.c.deleted_id == 0, V.c.deleted_at.is_(None),
                         V.c.status == "READY")
                  .group_by(V.c.model_id, V.c.stage).subquery())
        q = (select(V, M.c.name.label("model_name"))
             .join(latest, and_(V.c.model_id == latest.c.model_id,
                                V.c.version == latest.c.version))
             .join(M, M.c.id == V.c.model_id)
             .order_by(M.c.name, V.c.version.desc()))
        return list(self.conn.execute(q).mappings())

    def versions_in_stage(self, model_id: int, stage: str) -> list[Any]:
        q = select(V).where(V.c.model_id == model_id, V.c.stage == stage,
                            V.c.deleted_at.is_(None))
        return list(self.conn.execute(q).mappings())

    def update_version(self, version_id: int, now: int, actor: str, **values: Any) -> None:
        self.conn.execute(update(V).where(V.c.id == version_id).values(
            updated_at=now, updated_by=actor, **values))

    def set_version_tag(self, version_id: int, key: str, value: str) -> None:
        _upsert(self.conn, version_tags, {"version_id": version_id, "key": key}, {"value": value})

    def delete_version_tag(self, version_id: int, key: str) -> bool:
        res = self.conn.execute(delete(version_tags).where(
            version_tags.c.version_id == version_id, version_tags.c.key == key))
        return bool(res.rowcount)

    def files(self, version_id: int) -> list[FileEntry]:
        rows = self.conn.execute(select(version_files.c.path, version_files.c.size,
                                        version_files.c.sha256)
                                 .where(version_files.c.version_id == version_id)
                                 .order_by(version_files.c.ordinal))
        return [FileEntry(path=r[0], size=r[1], sha256=r[2]) for r in rows]

    def file(self, version_id: int, path: str) -> FileEntry | None:
        row = self.conn.execute(select(version_files.c.path, version_files.c.size,
                                       version_files.c.sha256)
                                .where(version_files.c.version_id == version_id,
                                       version_files.c.path == path)).first()
        return FileEntry(path=row[0], size=row[1], sha256=row[2]) if row else None

    def version_entity(self, row: Any, model_name: str, *, with_files: bool = False) -> ModelVersion:
        return self.version_entities([(row, model_name)], with_files=with_files)[0]

    def version_entities(self, rows: list[tuple[Any, str]], *,
                         with_files: bool = False) -> list[ModelVersion]:
        """Entities for a page of (row, model name), with three queries for the page."""
        ids = [r["id"] for r, _ in rows]
        if not ids:
            return []
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        for vid, k, v in self.conn.execute(select(version_tags.c.version_id, version_tags.c.key,
                                                  version_tags.c.value)
                                           .where(version_tags.c.version_id.in_(ids))):
            tags[vid][k] = v
        alias_names: dict[tuple[int, int], list[str]] = {}
        model_ids = {r["model_id"] for r, _ in rows}
        for mid, a, ver in self.conn.execute(select(aliases.c.model_id, aliases.c.alias,
                                                    aliases.c.version)
                                             .where(aliases.c.model_id.in_(model_ids))
                                             .order_by(aliases.c.alias)):
            alias_names.setdefault((mid, ver), []).append(a)
        parents: dict[int, list[ParentLink]] = {i: [] for i in ids}
        for vid, name, ver, rel in self.conn.execute(
                select(version_parents.c.version_id, M.c.name, V.c.version,
                       version_parents.c.relation)
                .select_from(version_parents.join(V, V.c.id == version_parents.c.parent_id)
                             .join(M, M.c.id == V.c.model_id))
                .where(version_parents.c.version_id.in_(ids))):
            parents[vid].append(ParentLink(model=name, version=ver, relation=rel))
        return [ModelVersion(
            model=name, version=r["version"], status=r["status"], stage=r["stage"],
            description=r["description"], tags=tags[r["id"]],
            aliases=alias_names.get((r["model_id"], r["version"]), []),
            source=r["source"], run_id=r["run_id"], flavor=r["flavor"],
            signature=json.loads(r["signature"]) if r["signature"] else None,
            metrics=json.loads(r["metrics"]) if r["metrics"] else {},
            size=r["size"], file_count=r["file_count"],
            files=self.files(r["id"]) if with_files else None,
            parents=parents[r["id"]],
            created_at=r["created_at"], updated_at=r["updated_at"],
            created_by=r["created_by"], updated_by=r["updated_by"],
            deleted=r["deleted_at"] is not None) for r, name in rows]

    def search_versions(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                        *, deleted: bool = False) -> list[ModelVersion]:
        q = (select(V, M.c.name.label("model_name"))
             .join(M, M.c.id == V.c.model_id)
             .join(projects, projects.c.id == M.c.project_id)
             .where(M.c.deleted_id == 0))
        q = q.where(V.c.deleted_at.is_not(None) if deleted else V.c.deleted_at.is_(None))
        q = q.where(compile_filter(node, self._version_field))
        q = q.order_by(*compile_order(order, self._version_field), M.c.name.asc(),
                       V.c.version.desc())
        rows = self.conn.execute(q.offset(offset).limit(limit)).mappings().all()
        return self.version_entities([(r, r["model_name"]) for r in rows])

    def _version_field(self, field: Field) -> ColumnElement:
        if field.kind == "tag":
            return (select(version_tags.c.value)
                    .where(version_tags.c.version_id == V.c.id, version_tags.c.key == field.key)
                    .scalar_subquery())
        if field.key == "alias":
            return (select(aliases.c.alias)
                    .where(aliases.c.model_id == V.c.model_id, aliases.c.version == V.c.version)
                    .limit(1).scalar_subquery())
        return VERSION_COLUMNS[field.key]

    # -- aliases ----------------------------------------------------------------------
    def alias_version(self, model_id: int, alias: str) -> int | None:
        return self.conn.execute(select(aliases.c.version).where(
            aliases.c.model_id == model_id, aliases.c.alias == alias)).scalar()

    def set_alias(self, model_id: int, alias: str, version: int, now: int, actor: str) -> None:
        _upsert(self.conn, aliases, {"model_id": model_id, "alias": alias},
                {"version": version, "updated_at": now, "updated_by": actor})

    def delete_alias(self, model_id: int, alias: str) -> bool:
        res = self.conn.execute(delete(aliases).where(
            aliases.c.model_id == model_id, aliases.c.alias == alias))
        return bool(res.rowcount)

    def aliases_of(self, model_id: int, version: int) -> list[str]:
        return list(self.conn.execute(select(aliases.c.alias).where(
            aliases.c.model_id == model_id, aliases.c.version == version)).scalars())

    def delete_aliases_of(self, model_id: int, version: int) -> None:
        self.conn.execute(delete(aliases).where(
            aliases.c.model_id == model_id, aliases.c.version == version))

    # -- garbage collection -----------------------------------------------------------
    def purge_deleted(self, before: int) -> tuple[int, int]:
        """Remove soft-deleted versions and models deleted before ``before``."""
        vres = self.conn.execute(delete(V).where(V.c.deleted_at.is_not(None),
                                                 V.c.deleted_at <= before))
        mres = self.conn.execute(delete(M).where(M.c.deleted_id != 0, M.c.deleted_at <= before))
        return int(vres.rowcount or 0), int(mres.rowcount or 0)

    def referenced_digests(self) -> set[str]:
        return set(self.conn.execute(select(version_files.c.sha256).distinct()).scalars())

    def digest_referenced(self, digest: str) -> bool:
        return bool(self.conn.execute(select(exists().where(
            version_files.c.sha256 == digest))).scalar())


def _models(deleted: bool) -> Any:
    """Model rows with their project's name, the live ones or the soft-deleted ones."""
    q = select(M, projects.c.name.label("project")).join(projects, projects.c.id == M.c.project_id)
    return q.where(M.c.deleted_id != 0) if deleted else q.where(M.c.deleted_id == 0)


def _upsert(conn: Connection, table: Any, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert or update one row by primary key.  Callers hold the model row lock, so the
    update-then-insert below cannot race another writer of the same key."""
    conds = [table.c[k] == v for k, v in key.items()]
    res = conn.execute(update(table).where(*conds).values(**values))
    if not res.rowcount:
        conn.execute(insert(table).values(**key, **values))
