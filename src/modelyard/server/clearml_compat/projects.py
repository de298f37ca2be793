"""``projects.*``: a ClearML project is a modelyard experiment (see :mod:`.docs`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelyard.domain.entities import Experiment, Principal
from modelyard.errors import NotFound
from modelyard.server.clearml_compat import docs, query
from modelyard.server.clearml_compat.wire import need, s, strings
from modelyard.services import Services

Handler = Callable[[Services, Principal, dict[str, Any]], dict[str, Any]]


def by_name(svc: Services, who: Principal, name: str) -> Experiment | None:
    try:
        e = svc.tracking.get_experiment_by_name(who, docs.stored_name(name))
    except NotFound:
        return None
    if e.lifecycle_stage != "active" or docs.clearml_name(e.name, e.tags) != name:
        return None
    return e


def all_projects(svc: Services, who: Principal) -> list[Experiment]:
    return list(svc.tracking.search_experiments(who, max_results=5000).items)


def get_all(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    flt = query.name_filter(s(args, "name") or None)
    ids = strings(args, "id")
    found: list[Experiment]
    if flt is not None and flt[0] == "exact":
        one = by_name(svc, who, flt[1])
        found = [one] if one is not None else []
    elif ids is not None:
        found = []
        for pid in ids:
            try:
                found.append(svc.tracking.get_experiment(who, pid))
            except NotFound:
                pass
    else:
        found = all_projects(svc, who)
    items = [docs.project_doc(e) for e in found
             if query.name_matches(flt, docs.clearml_name(e.name, e.tags))
             and (ids is None or e.experiment_id in ids)]
    return {"projects": query.listing(items, args)}


def create(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    name = need(args, "name")
    tags = {docs.PREFIX + "name": name}
    if s(args, "description"):
        tags["mlflow.note.content"] = s(args, "description")
    e = svc.tracking.create_experiment(who, docs.stored_name(name), tags)
    return {"id": e.experiment_id}


def get_by_id(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    return {"project": docs.project_doc(svc.tracking.get_experiment(who, need(args, "project")))}


HANDLERS: dict[str, Handler] = {
    "projects.get_all": get_all, "projects.get_all_ex": get_all, "projects.create": create,
    "projects.get_by_id": get_by_id,
}
