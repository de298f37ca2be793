"""File paths of the ClearML file server, read as references to records.

The SDK uploads to ``<project>/<task name>.<task id>/models/<file>`` (artifacts under
``artifacts/<key>/<file>``).  Such a path names a run (the task id) and a run
artifact path ``clearml/<rest>``; ``_versions/<hex model name>/<n>/<file>`` names a
file of a model version.  Nothing here is ever a location on disk: the bytes are
blobs found through those records.  A path with an empty, ``.`` or ``..`` segment, or
that names neither, is refused, never cleaned up.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from modelyard.domain.validation import is_ascii_int

_TASK_SEGMENT = re.compile(r".*\.([0-9a-f]{32})")
ARTIFACT_ROOT = "clearml"
MOUNT = "/clearml/files/"


def url_path(uri: str) -> str:
    """The file-server path of a URI the SDK stored (decoded once)."""
    path = urlsplit(uri).path if "://" in uri else uri
    if MOUNT in path:
        path = path.split(MOUNT, 1)[1]
    return unquote(path)


def _segments(path: str) -> list[str] | None:
    parts = path.strip("/").split("/")
    if any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    return parts


def parse_task_path(path: str) -> tuple[str, str] | None:
    """(run id, artifact path) of a task file path, or None."""
    parts = _segments(path)
    if parts is None:
        return None
    for i, part in enumerate(parts[:-1]):
        found = _TASK_SEGMENT.fullmatch(part)
        if found and i >= 1:
            return found.group(1), "/".join([ARTIFACT_ROOT, *parts[i + 1:]])
    return None


def parse_version_path(path: str) -> tuple[str, int, str] | None:
    """(model name, version, file path) of a ``_versions/...`` path, or None."""
    parts = _segments(path)
    if (parts is None or len(parts) < 4 or parts[0] != "_versions"
            or len(parts[2]) > 18 or not is_ascii_int(parts[2])):
        return None
    try:
        name = bytes.fromhex(parts[1]).decode("utf-8")
    except ValueError:
        return None
    return name, int(parts[2]), "/".join(parts[3:])
