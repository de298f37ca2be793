"""The readable-set condition of a restricted actor, as SQL (see domain Readable).

An empty set of ids compiles to a false condition, never to ``IN ()``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from modelyard.domain.access_records import Readable
from modelyard.store.registry_queries import M
from modelyard.store.schema import events


def _in(column: ColumnElement[Any], values: frozenset[Any]) -> ColumnElement[bool]:
    return column.in_(sorted(values)) if values else false()


def models_readable(readable: Readable | None) -> ColumnElement[bool]:
    """Rows joined to the models table (``M``) the actor may read."""
    if readable is None:
        return true()
    return or_(_in(M.c.project_id, readable.projects), _in(M.c.id, readable.models))


def events_readable(readable: Readable | None) -> ColumnElement[bool]:
    if readable is None:
        return true()
    shown = or_(_in(events.c.model_id, readable.models),
                _in(events.c.project, readable.project_names))
    if readable.hidden_entity_types:
        return shown & events.c.entity_type.not_in(sorted(readable.hidden_entity_types))
    return shown
