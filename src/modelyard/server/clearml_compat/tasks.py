"""``tasks.*``: a task is a run (see :mod:`.docs`).

The status follows what the SDK's background worker expects: ``tasks.started`` moves
the task to ``in_progress`` at once (a task left ``created`` gets the script killed
by the SDK); ``completed``, ``failed``, ``stopped`` and ``published`` are terminal and
end the run (FINISHED, FAILED, KILLED).  ``tasks.edit`` changes exactly the fields it
is sent and keeps every other.  Hyperparameters become run params, the script's git
commit and entry point become the ``mlflow.source.*`` tags, requirements are kept in
the script section.
"""

from __future__ import annotations

from typing import Any

from modelyard.domain.entities import Principal, Run
from modelyard.domain.validation import (
    MAX_PARAM_VALUE,
    check_param,
    check_run_name,
    check_run_tag,
)
from modelyard.errors import InvalidParameter, NotFound
from modelyard.server.clearml_compat import docs, query
from modelyard.server.clearml_compat.projects import Handler, all_projects
from modelyard.server.clearml_compat.wire import flag, need, s, section, strings
from modelyard.server.clearml_compat.wire import ids as wire_ids
from modelyard.services import Services

P = docs.PREFIX
TERMINAL = ("completed", "failed", "stopped", "published", "closed")
_RUN_STATUS = {"completed": "FINISHED", "published": "FINISHED", "failed": "FAILED",
               "stopped": "KILLED", "in_progress": "RUNNING", "created": "RUNNING"}
_EDITABLE = ("system_tags", "tags", "script", "runtime", "execution", "hyperparams",
             "configuration", "container", "models")
_LISTS = ("system_tags", "tags")  # the other editable fields are JSON objects
_SECTIONS = ("script", "hyperparams", "configuration", "execution", "container", "models")


def _run(svc: Services, who: Principal, task_id: str, *, tags_only: bool = False) -> Run:
    """The task's run; ``tags_only`` (enough for a task document, not for an edit of
    its hyperparameters) skips its params, metrics and inputs."""
    try:
        return svc.tracking.get_run(who, task_id, tags_only=tags_only)
    except (NotFound, InvalidParameter):
        raise NotFound(f"task {task_id!r} does not exist") from None


def _params(run: Run, hyperparams: Any) -> dict[str, str]:
    """New run params from ClearML's ``{section: {name: {value, ...}}}``; a param that
    exists with another value stays as it is (params are immutable)."""
    out: dict[str, str] = {}
    if not isinstance(hyperparams, dict):
        return out
    for group, items in hyperparams.items():
        if not isinstance(items, dict):
            continue
        for name, item in items.items():
            value = item.get("value", "") if isinstance(item, dict) else item
            key, text = f"{group}/{name}", "" if value is None else str(value)
            if len(key) <= 250 and len(text) <= MAX_PARAM_VALUE \
                    and run.params.get(key, text) == text:
                out[key] = text
    return out


def _source_tags(script: Any) -> dict[str, str]:
    if not isinstance(script, dict):
        return {}
    out = {}
    for field, tag in (("version_num", "mlflow.source.git.commit"),
                       ("repository", "mlflow.source.git.repoURL"),
                       ("branch", "mlflow.source.git.branch"),
                       ("entry_point", "mlflow.source.name")):
        value = script.get(field)
        if isinstance(value, str) and value and len(value) <= 5000:
            out[tag] = value
    return out


def stored(run: Run, field: str) -> dict[str, Any]:
    """A stored JSON section of the task; one stored out of shape reads as empty."""
    value = docs.get_json(run.tags, P + field, {})
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _field(args: dict[str, Any], key: str) -> Any:
    """An editable field, refused unless it has its shape."""
    return strings(args, key) or [] if key in _LISTS else section(args[key], key)


def _changes(run: Run, fields: dict[str, Any], status: str | None,
             text: dict[str, str] | None) -> tuple[dict[str, str], dict[str, str]]:
    """(tags, params) that store the changed task fields, each checked as the domain
    checks it, so that a call is refused before anything of it is written."""
    tags: dict[str, str] = {}
    for key, value in fields.items():
        docs.put_json(tags, run.tags, P + key, value)
    for key, value in (text or {}).items():
        tags[P + key] = value
    if status is not None and status != docs.task_status(run):
        tags[P + "status"] = status
        tags[P + "status_changed"] = docs.now_iso()
    params = _params(run, fields.get("hyperparams"))
    tags.update(_source_tags(fields.get("script")))
    tags = dict(check_run_tag(k, v) for k, v in tags.items() if run.tags.get(k, "") != v)
    params = dict(check_param(k, v) for k, v in params.items() if k not in run.params)
    return tags, params


def write(svc: Services, who: Principal, run: Run, fields: dict[str, Any],
          status: str | None = None, text: dict[str, str] | None = None) -> None:
    """Store changed task fields (JSON sections and text fields) in one batch; a call
    that changes nothing (the SDK resends whole sections) writes nothing."""
    tags, params = _changes(run, fields, status, text)
    if tags or params:
        tags[P + "last_update"] = docs.now_iso()
        svc.tracking.log_batch(who, run.run_id, params=params, tags=tags)
    wanted = _RUN_STATUS.get(status or "")
    if wanted and wanted != run.status:
        svc.tracking.update_run(who, run.run_id, status=wanted)


def _check_status(run: Run, allowed: tuple[str, ...], force: bool, action: str) -> str:
    status = docs.task_status(run)
    if status not in allowed and not force:
        raise InvalidParameter(f"invalid task status {status!r} for {action}")
    return status


def create(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """One run, created with every field of the task at once (its params right after,
    each checked first), so a refused field leaves no task behind."""
    project = s(args, "project") or None
    name = need(args, "name")
    fields = {k: _field(args, k) for k in _SECTIONS if args.get(k) is not None}
    for key in _LISTS:
        fields[key] = strings(args, key) or []
    if s(args, "output_dest"):
        fields["output"] = {"destination": s(args, "output_dest")}
    blank = Run(run_id="", experiment_id="", run_name=name, status="RUNNING")
    tags, params = _changes(blank, fields, None, {"type": s(args, "type", "training"),
                                                  "status": "created",
                                                  "comment": s(args, "comment")})
    tags[P + "last_update"] = docs.now_iso()
    run = svc.tracking.create_run(who, project, run_name=name, tags=tags)
    if params:
        svc.tracking.log_batch(who, run.run_id, params=params)
    return {"id": run.run_id}


def get_by_id(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    return {"task": docs.task_doc(_run(svc, who, need(args, "task"), tags_only=True))}


def get_all(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    ids, projects = wire_ids(args), strings(args, "project")
    flt = query.name_filter(s(args, "name") or None)
    runs: list[Run] = []
    if ids is not None:
        for tid in ids:
            try:
                runs.append(_run(svc, who, tid, tags_only=True))
            except NotFound:
                pass
    else:
        pids = projects or [e.experiment_id for e in all_projects(svc, who)]
        runs = list(svc.tracking.search_runs(who, pids, max_results=5000).items) if pids else []
    statuses = strings(args, "status")
    needed = query.fields_needed(args)
    docs_ = [docs.task_doc(r, needed) for r in runs if query.name_matches(flt, r.run_name)]
    docs_ = [d for d in docs_ if (statuses is None or d["status"] in statuses)
             and (projects is None or d["project"] in projects)
             and (not strings(args, "type") or d["type"] in (strings(args, "type") or []))]
    return {"tasks": query.listing(docs_, args)}


def started(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    _check_status(run, ("created", "queued", "in_progress", "stopped"),
                  flag(args, "force"), "started")
    write(svc, who, run, {}, "in_progress", {"status_message": s(args, "status_message"),
                                             "status_reason": s(args, "status_reason")})
    return {"updated": 1, "fields": {"status": "in_progress"}}


def _finish(status: str, allowed: tuple[str, ...]) -> Handler:
    def finish(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
        run = _run(svc, who, need(args, "task"))
        _check_status(run, allowed, flag(args, "force"), status)
        final = "published" if status == "completed" and flag(args, "publish") else status
        write(svc, who, run, {}, final, {"status_message": s(args, "status_message"),
                                         "status_reason": s(args, "status_reason")})
        return {"updated": 1, "fields": {"status": final}}
    return finish


def edit(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    _check_status(run, ("created",), flag(args, "force"), "edit")
    fields: dict[str, Any] = {}
    for key in _EDITABLE:
        if key in args and args[key] is not None:
            fields[key] = _field(args, key)
    if "output_dest" in args:
        fields["output"] = {**stored(run, "output"), "destination": s(args, "output_dest")}
    if args.get("output") is not None:
        fields["output"] = section(args["output"], "output")
    text: dict[str, str] = {k: s(args, k) for k in ("comment", "type", "parent") if k in args}
    name = s(args, "name")
    if name and name != run.run_name:
        check_run_name(name)  # before the fields are written
    write(svc, who, run, fields, text=text)
    if name and name != run.run_name:
        svc.tracking.update_run(who, run.run_id, run_name=name)
    return {"updated": 1, "fields": {k: True for k in [*fields, *text]}}


def _merge_section(svc: Services, who: Principal, args: dict[str, Any], key: str,
                   field: str) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    current = stored(run, field)
    items = args.get(key) or []
    if not isinstance(items, list):
        raise InvalidParameter(f"{key} must be a list")
    if args.get("replace_hyperparams") == "all" or flag(args, "replace_configuration"):
        current = {}
    for item in _items(items):
        if field == "hyperparams":
            group = current.get(str(item.get("section", "General")))
            if not isinstance(group, dict):
                group = current[str(item.get("section", "General"))] = {}
            group[str(item.get("name", ""))] = item
        else:
            current[str(item.get("name", ""))] = item
    write(svc, who, run, {field: current})
    return {"updated": 1}


def set_requirements(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    script = stored(run, "script")
    script["requirements"] = section(args.get("requirements"), "requirements")
    write(svc, who, run, {"script": script})
    return {"updated": 1}


def add_or_update_model(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    kind = s(args, "type", "output")
    if kind not in ("input", "output"):
        raise InvalidParameter("type must be 'input' or 'output'")
    models = stored(run, "models")
    links = [m for m in _items(models.get(kind)) if m.get("name") != s(args, "name")]
    links.append({"name": need(args, "name"), "model": need(args, "model"),
                  "updated": docs.now_iso()})
    models[kind] = links
    models.setdefault("input" if kind == "output" else "output", [])
    write(svc, who, run, {"models": models})
    return {"updated": 1}


def reset(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    _check_status(run, ("created", "queued", "in_progress", "failed", "stopped"),
                  flag(args, "force"), "reset")
    execution = stored(run, "execution")
    if flag(args, "clear_all"):
        execution = {**execution, "artifacts": []}
    write(svc, who, run, {"execution": execution,
                          "models": {"input": [], "output": []}, "runtime": {}},
          "created", {"status_message": "", "status_reason": "reset",
                      "last_iteration": "0"})
    return {"updated": 1, "fields": {"status": "created"}, "deleted_models": 0, "urls": {}}


def add_or_update_artifacts(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    run = _run(svc, who, need(args, "task"))
    execution = stored(run, "execution")
    given = args.get("artifacts")
    if given is not None and not isinstance(given, list):
        raise InvalidParameter("field 'artifacts' must be a list")
    new = _items(given)
    keys = {(a.get("key"), a.get("mode", "output")) for a in new}
    kept = [a for a in _items(execution.get("artifacts"))
            if (a.get("key"), a.get("mode", "output")) not in keys]
    execution["artifacts"] = kept + new
    write(svc, who, run, {"execution": execution})
    return {"updated": len(new)}


def ping(svc: Services, who: Principal, args: dict[str, Any]) -> dict[str, Any]:
    _run(svc, who, need(args, "task"), tags_only=True)
    return {}


HANDLERS: dict[str, Handler] = {
    "tasks.create": create, "tasks.get_by_id": get_by_id, "tasks.get_all": get_all,
    "tasks.get_all_ex": get_all, "tasks.started": started, "tasks.edit": edit,
    "tasks.completed": _finish("completed", ("in_progress", "created", "stopped", "queued")),
    "tasks.failed": _finish("failed", ("in_progress", "created", "stopped", "queued")),
    "tasks.stopped": _finish("stopped", ("in_progress", "created", "queued")),
    "tasks.close": _finish("closed", ("stopped", "completed", "failed")),
    "tasks.set_requirements": set_requirements,
    "tasks.add_or_update_model": add_or_update_model, "tasks.reset": reset,
    "tasks.add_or_update_artifacts": add_or_update_artifacts, "tasks.ping": ping,
    "tasks.edit_hyper_params": lambda svc, who, a: _merge_section(
        svc, who, a, "hyperparams", "hyperparams"),
    "tasks.edit_configuration": lambda svc, who, a: _merge_section(
        svc, who, a, "configuration", "configuration"),
}
