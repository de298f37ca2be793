"""ClearML documents kept on modelyard records.

- A ClearML project is an experiment.  ClearML names may hold ``/`` (sub-projects),
  which experiment and model names may not, so it is stored as U+2215 (``∕``) and
  the exact ClearML name is kept in the ``clearml.name`` tag.
- A task is a run of that experiment; its ClearML fields (status, type, system tags,
  output destination, model links, script, runtime, ...) are JSON in ``clearml.*``
  run tags, cut into chunks (``key``, ``key#1``, ...) below the tag value limit, so a
  task read back is the whole document the SDK last wrote.
"""

from __future__ import annotations

import json
from datetime import datetime, UTC
from typing import Any

from modelyard.domain.entities import Experiment, Run

PREFIX = "clearml."
CHUNK = 4500
SLASH = "\u2215"

# Task fields kept as JSON tags (default when absent).
TASK_JSON: dict[str, Any] = {
    "system_tags": [], "tags": [], "output": {}, "models": {"input": [], "output": []},
    "script": {}, "runtime": {}, "execution": {"parameters": {}, "artifacts": []},
    "hyperparams": {}, "configuration": {}, "container": {},
}
TASK_TEXT = ("type", "status", "status_message", "status_reason", "comment",
             "last_iteration", "parent", "started", "completed", "last_update")
STATUS_OF_RUN = {"RUNNING": "in_progress", "FINISHED": "completed", "FAILED": "failed",
                 "KILLED": "stopped", "SCHEDULED": "created"}


def iso(ms: int | None) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


def now_iso() -> str:
    return datetime.now(tz=UTC).isoformat()


def stored_name(clearml_name: str) -> str:
    return clearml_name.replace("/", SLASH)


def clearml_name(stored: str, tags: dict[str, str]) -> str:
    return tags.get(PREFIX + "name") or stored.replace(SLASH, "/")


def get_json(tags: dict[str, str], key: str, default: Any = None) -> Any:
    first = tags.get(key)
    if not first:
        return default
    parts, i = [first], 1
    while tags.get(f"{key}#{i}"):
        parts.append(tags[f"{key}#{i}"])
        i += 1
    try:
        return json.loads("".join(parts))
    except ValueError:
        return default


def put_json(out: dict[str, str], old: dict[str, str], key: str, value: Any) -> None:
    """Set ``key`` (and its chunks) in ``out``; chunks of the old value beyond the new
    ones are blanked, which ends the chunk chain."""
    text = json.dumps(value, separators=(",", ":"))
    chunks = [text[i:i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    out[key] = chunks[0]
    for i, chunk in enumerate(chunks[1:], start=1):
        out[f"{key}#{i}"] = chunk
    i = len(chunks)
    while old.get(f"{key}#{i}"):
        out[f"{key}#{i}"] = ""
        i += 1


def project_doc(e: Experiment) -> dict[str, Any]:
    return {"id": e.experiment_id, "name": clearml_name(e.name, e.tags),
            "basename": clearml_name(e.name, e.tags).rsplit("/", 1)[-1],
            "description": e.tags.get("mlflow.note.content", ""),
            "created": iso(e.created_at), "last_update": iso(e.updated_at or e.created_at),
            "tags": [], "system_tags": [], "company": "modelyard",
            "user": "modelyard", "default_output_destination": ""}


def task_status(r: Run) -> str:
    return r.tags.get(PREFIX + "status") or STATUS_OF_RUN.get(r.status, "created")


def task_doc(r: Run, fields: set[str] | None = None) -> dict[str, Any]:
    """The task document; with ``fields``, its JSON sections outside them are left out
    (the SDK's status poll every 2 s asks for three plain fields of a task whose
    ``script`` section may hold a whole source file)."""
    t = r.tags
    doc: dict[str, Any] = {
        "id": r.run_id, "name": r.run_name, "project": r.experiment_id,
        "user": r.user_id, "company": "modelyard", "type": t.get(PREFIX + "type", "training"),
        "status": task_status(r), "status_message": t.get(PREFIX + "status_message", ""),
        "status_reason": t.get(PREFIX + "status_reason", ""),
        "status_changed": t.get(PREFIX + "status_changed") or iso(r.start_time),
        "comment": t.get(PREFIX + "comment", ""),
        "created": iso(r.start_time), "started": iso(r.start_time),
        "last_update": t.get(PREFIX + "last_update") or iso(r.start_time),
        "last_change": t.get(PREFIX + "last_update") or iso(r.start_time),
        "last_iteration": int(t.get(PREFIX + "last_iteration", "0") or 0),
        "last_metrics": {}, "parent": t.get(PREFIX + "parent") or None,
    }
    if r.end_time and doc["status"] in ("completed", "failed", "stopped", "published"):
        doc["completed"] = iso(r.end_time)
    for key, default in TASK_JSON.items():
        if fields is None or key in fields:
            doc[key] = get_json(t, PREFIX + key, default)
    return doc
