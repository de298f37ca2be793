"""ClearML model documents, and the model versions they become.

A ClearML model is created (``models.create``) before its weights exist, with a
placeholder URI, and edited several times; modelyard versions are immutable.  So the
document lives as JSON in the project experiment's ``clearml.model.<key>`` tag while
it is a draft, and once its URI names a file uploaded through ``/clearml/files`` (the
weights, now a content-addressed blob among the task's run artifacts) it becomes a
model version of the registered model named after it: source run = the task, tags =
version tags, comment = description.  Later edits of tags and comment follow onto
the version; new weights make a new version.  The id is ``<hex>p<project id>``.

Versions registered natively (or through mlflow) are models too, read-only, with the
id ``mv<hex of the model name>x<version>`` and a URI under ``/clearml/files/_versions``.
"""

from __future__ import annotations

import posixpath
import secrets
from typing import Any

from modelyard.domain.entities import FileEntry, ModelVersion, Principal
from modelyard.domain.roles import Permission
from modelyard.domain.validation import is_ascii_int
from modelyard.errors import InvalidParameter, NotFound
from modelyard.server.clearml_compat import docs
from modelyard.server.clearml_compat.paths import parse_task_path, url_path
from modelyard.server.clearml_compat.projects import model_project
from modelyard.services import Services

KEY = docs.PREFIX + "model."
ID_TAG = docs.PREFIX + "model_id"
FIELDS = ("uri", "name", "comment", "tags", "system_tags", "framework", "design",
          "labels", "project", "task", "parent", "ready", "metadata")


def new_id(project: str) -> str:
    return f"{secrets.token_hex(12)}p{project}"


def _split(model_id: str) -> tuple[str, str]:
    key, sep, project = model_id.rpartition("p")
    if not sep or not key or not is_ascii_int(project) or len(project) > 18 or not all(
            c in "0123456789abcdef" for c in key):
        raise NotFound(f"model {model_id!r} does not exist")
    return key, project


def native_id(v: ModelVersion) -> str:
    return f"mv{v.model.encode('utf-8').hex()}x{v.version}"


def _native_ref(model_id: str) -> tuple[str, int] | None:
    if not model_id.startswith("mv") or "x" not in model_id:
        return None
    name_hex, _, number = model_id[2:].rpartition("x")
    try:
        return bytes.fromhex(name_hex).decode("utf-8"), int(number)
    except ValueError:
        return None


def load(svc: Services, who: Principal, model_id: str, files_base: str) -> dict[str, Any]:
    ref = _native_ref(model_id)
    if ref is not None:
        try:
            v = svc.registry.get_version(who, ref[0], ref[1], with_files=True)
        except (NotFound, InvalidParameter):
            raise NotFound(f"model {model_id!r} does not exist") from None
        return native_doc(svc, who, v, files_base)
    key, project = _split(model_id)
    try:
        e = svc.tracking.get_experiment(who, project)
    except (NotFound, InvalidParameter):
        raise NotFound(f"model {model_id!r} does not exist") from None
    doc = docs.get_json(e.tags, KEY + key)
    if not isinstance(doc, dict):
        raise NotFound(f"model {model_id!r} does not exist")
    return doc


def drafts(svc: Services, who: Principal, project: str) -> list[dict[str, Any]]:
    e = svc.tracking.get_experiment(who, project)
    out = []
    for tag in e.tags:
        if tag.startswith(KEY) and "#" not in tag:
            doc = docs.get_json(e.tags, tag)
            if isinstance(doc, dict):
                out.append(doc)
    return out


def require_writable(svc: Services, who: Principal, doc: dict[str, Any]) -> None:
    """That ``who`` may change the document (write access to its project's
    experiment), checked before anything of a change is written."""
    _, project = _split(str(doc["id"]))
    svc.access.require_experiment(who, Permission.WRITE, int(project),
                                  hide=f"model {doc['id']!r} does not exist")


def save(svc: Services, who: Principal, doc: dict[str, Any]) -> None:
    key, project = _split(str(doc["id"]))
    e = svc.tracking.get_experiment(who, project)
    tags: dict[str, str] = {}
    docs.put_json(tags, e.tags, KEY + key, doc)
    for k, v in tags.items():
        svc.tracking.set_experiment_tag(who, project, k, v)


def native_doc(svc: Services, who: Principal, v: ModelVersion, files_base: str) -> dict[str, Any]:
    files = v.files or []
    main = max(files, key=lambda f: f.size) if files else None
    uri = (f"{files_base}/_versions/{v.model.encode('utf-8').hex()}/{v.version}/{main.path}"
           if main else "")
    project = ""
    if v.run_id:
        try:
            project = svc.tracking.get_run(who, v.run_id).experiment_id
        except (NotFound, InvalidParameter):
            project = ""
    return {"id": native_id(v), "name": v.model, "uri": uri, "comment": v.description,
            "tags": sorted(k for k in v.tags if not k.startswith(docs.PREFIX)),
            "system_tags": ["archived"] if v.stage == "Archived" else [],
            "framework": v.flavor or "", "design": {}, "labels": {}, "project": project,
            "task": v.run_id or "", "ready": v.stage in ("Published", "Production"),
            "created": docs.iso(v.created_at), "last_update": docs.iso(v.updated_at),
            "user": v.created_by, "company": "modelyard", "metadata": {}}


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _version_tags(doc: dict[str, Any]) -> dict[str, str]:
    tags = {str(t): "" for t in doc.get("tags") or [] if isinstance(t, str) and t}
    tags[ID_TAG] = str(doc["id"])
    if doc.get("framework"):
        tags[docs.PREFIX + "framework"] = str(doc["framework"])[:5000]
    return tags


def sync(svc: Services, who: Principal, doc: dict[str, Any]) -> None:
    """Register the document's weights as a version when its URI names an uploaded
    file not registered yet; carry tag and comment edits onto the version."""
    uri = str(doc.get("uri") or "")
    target = parse_task_path(url_path(uri)) if uri else None
    reg = doc.get("_version")
    if target is not None and (not isinstance(reg, dict) or reg.get("uri") != uri):
        run_id, path = target
        try:
            entry = svc.tracking.run_artifact_entry(who, run_id, path)
        except (NotFound, InvalidParameter):
            return  # not uploaded (yet): stays a draft
        name = docs.stored_name(str(doc.get("name") or "model"))
        try:
            svc.registry.get_model(who, name)
        except NotFound:
            experiment = svc.tracking.get_run(who, run_id).experiment_id
            project = model_project(svc, who, svc.tracking.get_experiment(who, experiment))
            svc.registry.create_model(who, name, project=project)
        v = svc.registry.create_version(
            who, name, [FileEntry(posixpath.basename(path), entry.size, entry.sha256)],
            description=str(doc.get("comment") or "")[:5000], tags=_version_tags(doc),
            source=uri[:4096], run_id=run_id)
        doc["_version"] = {"model": v.model, "version": v.version, "uri": uri,
                           "tags": sorted(doc.get("tags") or []),
                           "comment": doc.get("comment") or ""}
        return
    if not isinstance(reg, dict):
        return
    name, number = str(reg["model"]), int(reg["version"])
    old_tags, new_tags = set(reg.get("tags") or []), set(doc.get("tags") or [])
    for tag in sorted(new_tags - old_tags):
        svc.registry.set_version_tag(who, name, number, tag, "")
    for tag in sorted(old_tags - new_tags):
        svc.registry.delete_version_tag(who, name, number, tag)
    comment = str(doc.get("comment") or "")
    if comment != reg.get("comment"):
        svc.registry.update_version(who, name, number, comment[:5000])
    reg.update(tags=sorted(new_tags), comment=comment)
