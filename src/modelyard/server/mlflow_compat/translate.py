"""Domain entities in the JSON shapes the mlflow client parses, and MLflow's filter
and ordering spellings in ours.

Shapes follow MLflow's protobuf messages as ``MessageToJson`` writes them: version
numbers are strings (``"3"``), timestamps integers in milliseconds, tags lists of
``{"key", "value"}``.  The client ignores fields it does not know.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from modelyard.domain.entities import ModelVersion, RegisteredModel
from modelyard.domain.sources import logged_model_id_of

# Our version statuses -> MLflow's ModelVersionStatus names.
_VERSION_STATUS = {"READY": "READY", "PENDING_UPLOAD": "PENDING_REGISTRATION",
                   "FAILED": "FAILED_REGISTRATION"}

# The artifact namespace that serves a registered version's own manifest
# (``mlflow-artifacts:/model-versions/<name>/<version>``); experiment ids are numeric,
# so it cannot clash with ``<experiment_id>/<run_id>/artifacts``.
VERSIONS_PREFIX = "model-versions"


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def version_download_uri(name: str, version: int) -> str:
    return f"mlflow-artifacts:/{VERSIONS_PREFIX}/{quote(name, safe='')}/{version}"


def model_version(v: ModelVersion) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": v.model,
        "version": str(v.version),
        "creation_timestamp": v.created_at,
        "last_updated_timestamp": v.updated_at,
        "user_id": v.created_by,
        "current_stage": v.stage,
        "source": v.source,
        "status": _VERSION_STATUS.get(v.status, v.status),
        "tags": tag_list(v.tags),
        "aliases": list(v.aliases),
    }
    # Unset optional fields are left out, so the client reads None, as from MLflow.
    if v.description:
        out["description"] = v.description
    if v.run_id:
        out["run_id"] = v.run_id
    model_id = version_model_id(v.source)
    if model_id:
        out["model_id"] = model_id
    return out


# A logged model's files as its artifact location names them (what a client that
# registers "the model's files" sends as the source, with the id beside it).
_LOGGED_MODEL_FILES = re.compile(r"^mlflow-artifacts:(?://[^/]*)?/(?:[0-9]+/)?models/"
                                 r"(m-[0-9a-f]{32})(?:/|$)")


def version_model_id(source: str) -> str | None:
    """The logged model a version was registered from, as MLflow's ``model_id``."""
    found = _LOGGED_MODEL_FILES.match(source or "")
    return found.group(1) if found else logged_model_id_of(source)


def registered_model(m: RegisteredModel,
                     latest: list[ModelVersion] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": m.name,
        "creation_timestamp": m.created_at,
        "last_updated_timestamp": m.updated_at,
        "user_id": m.created_by,
        "tags": tag_list(m.tags),
        "aliases": [{"alias": a, "version": str(n)} for a, n in sorted(m.aliases.items())],
    }
    if m.description:
        out["description"] = m.description
    if latest:
        out["latest_versions"] = [model_version(v) for v in latest]
    return out


# -- filters and ordering -----------------------------------------------------------

# Quoted strings and back-quoted keys pass through untouched; only bare words outside
# them are renamed.
_SEGMENTS = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`)""")


def rename_fields(text: str | None, renames: dict[str, str]) -> str | None:
    """Rename bare attribute names (optionally ``attributes.``-prefixed) in a filter or
    an order_by clause; everything inside quotes is left as it is."""
    if not text or not renames:
        return text
    words = "|".join(re.escape(k) for k in renames)
    pattern = re.compile(rf"(?<![\w.])((?:attributes?|attr)\.)?({words})(?![\w.])",
                         re.IGNORECASE)
    parts = _SEGMENTS.split(text)
    for i in range(0, len(parts), 2):  # even indexes are outside quotes
        parts[i] = pattern.sub(lambda m: (m.group(1) or "") + renames[m.group(2).lower()],
                               parts[i])
    return "".join(parts)


# The mlflow client appends ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every
# registry search to hide prompts.  A missing tag compares as NULL and matches
# nothing, so taken literally this would hide every model; MLflow's own server
# special-cases the clause (an anti-join on prompt rows), and so do we.
_NOT_PROMPT = re.compile(r"tags?\.`mlflow\.prompt\.is_prompt`\s*!=\s*'true'", re.IGNORECASE)
_NOT_PROMPT_OURS = ("(tags.`mlflow.prompt.is_prompt` IS NULL "
                    "OR tags.`mlflow.prompt.is_prompt` != 'true')")


_PROMPT_CLAUSE = re.compile(
    r"tags?\.`?mlflow\.prompt\.is_prompt`?\s*(=|!=|<>)\s*['\"](\w*)['\"]", re.IGNORECASE)


def searched_kind(text: str | None) -> str | None:
    """Which models an MLflow registry search sees: prompts too (None) when its
    filter asks for them (``tags.`mlflow.prompt.is_prompt` = 'true'``, or
    ``!= 'false'``), else models only, as MLflow's searches leave prompts out."""
    for op, value in _PROMPT_CLAUSE.findall(text or ""):
        if (op == "=" and value.lower() == "true") or (op != "=" and value.lower() == "false"):
            return None
        break
    return "model"


def registry_filter(text: str | None, renames: dict[str, str] | None = None) -> str | None:
    """An MLflow registry search filter in our language."""
    text = rename_fields(text, renames or {})
    return _NOT_PROMPT.sub(_NOT_PROMPT_OURS, text) if text else text


def order_list(items: list[Any], renames: dict[str, str]) -> list[str] | None:
    out = [rename_fields(str(i), renames) or "" for i in items if str(i).strip()]
    return out or None
