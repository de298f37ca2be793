"""Queries and helpers shared by the registry repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, Table, case, exists, func, insert, literal, select, update
from sqlalchemy.sql.elements import ColumnElement

from modelyard.domain.prompts import PROMPT_TAG
from modelyard.store.schema import model_tags, model_versions, projects, registered_models

M, V = registered_models, model_versions


def models_query(deleted: bool) -> Select[Any]:
    """Model rows with their project's name, the live ones or the soft-deleted ones."""
    q = select(M, projects.c.name.label("project")).join(projects, projects.c.id == M.c.project_id)
    return q.where(M.c.deleted_id != 0) if deleted else q.where(M.c.deleted_id == 0)


def versions_query() -> Select[Any]:
    """Version rows with their model's name (``model_name``)."""
    return select(V, M.c.name.label("model_name")).join(M, M.c.id == V.c.model_id)


def upsert(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert or update one row by primary key.  Callers hold the model row lock, so the
    update-then-insert below cannot race another writer of the same key."""
    conds = [table.c[k] == v for k, v in key.items()]
    res = conn.execute(update(table).where(*conds).values(**values))
    if not res.rowcount:
        conn.execute(insert(table).values(**key, **values))


def kind_of(model_id: ColumnElement[Any]) -> ColumnElement[Any]:
    """``'prompt'`` for a model tagged as an MLflow prompt, else ``'model'``."""
    tagged = exists(select(literal(1)).where(
        model_tags.c.model_id == model_id, model_tags.c.key == PROMPT_TAG,
        func.lower(model_tags.c.value) == "true"))
    return case((tagged, literal("prompt")), else_=literal("model"))
