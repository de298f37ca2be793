"""``models.*`` over :mod:`.modeldocs`: full documents on every read, and edits that
change exactly the fields sent (the SDK read-modify-writes whole models)."""

from __future__ import annotations

from typing import Any

from modelyard.domain.entities import Principal
from modelyard.errors import InvalidParameter, NotFound, NotImplementedByServer
from modelyard.server.clearml_compat import docs, modeldocs, query
from modelyard.server.clearml_compat.projects import Handler, all_projects
from modelyard.server.clearml_compat.wire import flag, need, s, section, strings
from modelyard.server.clearml_compat.wire import ids as wire_ids
from modelyard.services import Services

BASE = "__files_base"  # injected by the router: this server's files URL


def create(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    project = s(args, "project")
    if not project and s(args, "task"):
        project = svc.tracking.get_run(who, s(args, "task")).experiment_id
    project = svc.tracking.get_experiment(who, project or "0").experiment_id
    now = docs.now_iso()
    doc: dict[str, Any] = {
        "id": modeldocs.new_id(project), "name": s(args, "name") or "Anonymous model",
        "uri": s(args, "uri"), "comment": s(args, "comment"),
        "tags": strings(args, "tags") or [], "system_tags": strings(args, "system_tags") or [],
        "framework": s(args, "framework"), "design": section(args.get("design"), "design"),
        "labels": section(args.get("labels"), "labels"), "project": project,
        "task": s(args, "task"), "parent": s(args, "parent") or None,
        "ready": flag(args, "ready"), "created": now, "last_update": now, "user": who.name,
        "company": "modelyard", "metadata": {},
    }
    modeldocs.require_writable(svc, who, doc)  # before its weights become a version
    modeldocs.sync(svc, who, doc)
    modeldocs.save(svc, who, doc)
    return {"id": doc["id"], "created": True}


def get_by_id(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    doc = modeldocs.load(svc, who, need(args, "model"), str(args[BASE]))
    return {"model": modeldocs.public(doc)}


def _editable(model_id: str) -> None:
    if model_id.startswith("mv"):
        raise InvalidParameter("this model is a version registered in modelyard; edit it "
                               "there (modelyard versions ...)")


def edit(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    model_id = need(args, "model")
    doc = modeldocs.load(svc, who, model_id, str(args[BASE]))
    _editable(model_id)
    changed = []
    for key in modeldocs.FIELDS:
        if key in args and args[key] is not None and key != "project":
            doc[key] = _field(args, key)
            changed.append(key)
    doc["last_update"] = docs.now_iso()
    modeldocs.require_writable(svc, who, doc)  # before an edit reaches its version
    modeldocs.sync(svc, who, doc)
    modeldocs.save(svc, who, doc)
    return {"updated": 1, "fields": {k: True for k in changed}}


def _field(args: dict[str, Any], key: str) -> Any:
    """A model field in the shape its readers expect; anything else is refused."""
    if key in ("tags", "system_tags"):
        return strings(args, key) or []
    if key == "metadata" and isinstance(args[key], list):  # ClearML's own form: a list
        items = args[key]
        if not all(isinstance(i, dict) and isinstance(i.get("key"), str) for i in items):
            raise InvalidParameter("field 'metadata' must be a list of {key, type, value}")
        return {i["key"]: _metadata_item(i) for i in items}
    if key in ("design", "labels", "metadata"):
        return section(args[key], key)
    if key == "ready":
        return flag(args, key)
    return s(args, key) or (None if key == "parent" else "")


def _metadata_item(item: dict[str, Any]) -> dict[str, str]:
    """One metadata entry as stored: ``{key, type, value}``, as strings."""
    return {"key": item["key"], "type": str(item.get("type") or ""),
            "value": str(item.get("value") or "")}


def get_all(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    base = str(args[BASE])
    projects = strings(args, "project")
    ids = wire_ids(args)
    tasks = strings(args, "task")
    flt = query.name_filter(s(args, "name") or None)
    found: list[dict[str, Any]] = []
    if ids is not None:
        for model_id in ids:
            try:
                found.append(modeldocs.load(svc, who, model_id, base))
            except NotFound:
                pass
    else:
        for pid in projects or [e.experiment_id for e in all_projects(svc, who)]:
            try:
                found.extend(modeldocs.drafts(svc, who, pid))
            except (NotFound, InvalidParameter):
                pass
        for v in svc.registry.search_versions(who, max_results=10_000).items:
            if modeldocs.ID_TAG not in v.tags:
                native = modeldocs.native_doc(svc, who, v, base)
                if projects is None or native["project"] in projects:
                    found.append(native)
    ready = None if args.get("ready") is None else flag(args, "ready")
    kept = [modeldocs.public(d) for d in found
            if query.name_matches(flt, str(d.get("name", "")))
            and (ready is None or bool(d.get("ready")) == bool(ready))
            and (tasks is None or d.get("task") in tasks)
            and (projects is None or d.get("project") in projects)]
    return {"models": query.listing(kept, args)}


def set_ready(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    model_id = need(args, "model")
    doc = modeldocs.load(svc, who, model_id, str(args[BASE]))
    reg = doc.get("_version")
    if model_id.startswith("mv"):
        name, number = str(doc["name"]), int(model_id.rpartition("x")[2])
    elif isinstance(reg, dict):
        name, number = str(reg["model"]), int(reg["version"])
    else:
        raise InvalidParameter("this model has no uploaded weights yet; nothing to publish")
    if not model_id.startswith("mv"):
        modeldocs.require_writable(svc, who, doc)  # before the version's stage moves
    stages = svc.registry.policy.stages
    stage = "Published" if "Published" in stages else "Production"
    svc.registry.transition_stage(who, name, number, stage)
    if not model_id.startswith("mv"):
        doc["ready"] = True
        doc["last_update"] = docs.now_iso()
        modeldocs.save(svc, who, doc)
    return {"updated": 1, "published_task": {}}


def add_or_update_metadata(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    model_id = need(args, "model")
    _editable(model_id)
    doc = modeldocs.load(svc, who, model_id, str(args[BASE]))
    kept = doc.get("metadata")
    current = {} if flag(args, "replace_metadata") or not isinstance(kept, dict) else dict(kept)
    items = args.get("metadata") or []
    if not isinstance(items, list):
        raise InvalidParameter("field 'metadata' must be a list of {key, type, value}")
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            current[item["key"]] = _metadata_item(item)
    doc["metadata"] = current
    doc["last_update"] = docs.now_iso()
    modeldocs.save(svc, who, doc)
    return {"updated": 1}


def delete(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    raise NotImplementedByServer("modelyard keeps registered models: delete the version "
                                 "with `modelyard versions delete`")


HANDLERS: dict[str, Handler] = {
    "models.create": create, "models.get_by_id": get_by_id, "models.edit": edit,
    "models.update": edit, "models.get_all": get_all, "models.get_all_ex": get_all,
    "models.set_ready": set_ready, "models.add_or_update_metadata": add_or_update_metadata,
    "models.delete": delete,
}
