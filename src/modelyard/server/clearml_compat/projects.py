"""``projects.*``: a ClearML project is a modelyard experiment (see :mod:`.docs`) and
a modelyard project of the same (stored) name, which holds the registered models of
its output models.

The modelyard project is created with the ClearML project, or when its first model is
registered, as the caller: creating projects is an admin's right, so for anyone else
the models go into an existing project of that name (their role there decides), or
into the default project when there is none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelyard.domain.entities import Experiment, Principal
from modelyard.domain.projects import DEFAULT_PROJECT
from modelyard.domain.tracking_base import DEFAULT_EXPERIMENT_ID
from modelyard.errors import AlreadyExists, InvalidParameter, NotFound, PermissionDenied
from modelyard.server.clearml_compat import docs, query, wire
from modelyard.server.clearml_compat.wire import need, s
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
    ids = wire.ids(args)
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


def model_project(svc: Services, who: Principal, e: Experiment) -> str:
    """The modelyard project for the models of ClearML project ``e`` (see the module
    docs); created when missing if the caller may create projects."""
    if e.experiment_id == DEFAULT_EXPERIMENT_ID:
        return DEFAULT_PROJECT
    visible = {p.name for p in svc.registry.list_projects(who)}
    if e.name in visible:
        return e.name
    try:
        svc.registry.create_project(
            who, e.name, f"ClearML project {docs.clearml_name(e.name, e.tags)}")
    except AlreadyExists:  # created meanwhile, or one the caller may not see
        return e.name if e.name in {p.name for p in svc.registry.list_projects(who)} \
            else DEFAULT_PROJECT
    except (PermissionDenied, InvalidParameter):  # not an admin; a look-alike name
        return DEFAULT_PROJECT
    return e.name


def create(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    name = need(args, "name")
    tags = {docs.PREFIX + "name": name}
    if s(args, "description"):
        tags["mlflow.note.content"] = s(args, "description")
    e = svc.tracking.create_experiment(who, docs.stored_name(name), tags)
    model_project(svc, who, e)
    return {"id": e.experiment_id}


def get_by_id(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    return {"project": docs.project_doc(svc.tracking.get_experiment(who, need(args, "project")))}


HANDLERS: dict[str, Handler] = {
    "projects.get_all": get_all, "projects.get_all_ex": get_all, "projects.create": create,
    "projects.get_by_id": get_by_id,
}
