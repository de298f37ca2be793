"""How one value reads in the CLI: times in ISO 8601 (local, with the offset), ``-`` for
none, ``yes``/``no`` for booleans, sizes in binary units.  Pure functions, no printing."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

NONE = "-"

# Keys whose integer values are epoch milliseconds.
_TIME_KEYS = ("time", "timestamp")
_TIME_SUFFIXES = ("_at", "_time")


class Stamp(str):
    """A time as ISO 8601 text that also knows its short form for a narrow table."""

    short: str

    def __new__(cls, moment: datetime) -> Stamp:
        self = super().__new__(cls, moment.isoformat(timespec="seconds"))
        self.short = moment.strftime("%Y-%m-%d %H:%M")
        return self


def when(ms: int | None) -> str:
    """Epoch milliseconds as local ISO 8601 with the offset, e.g. 2026-12-01T22:04:48+01:00."""
    if not ms:
        return NONE
    return Stamp(datetime.fromtimestamp(ms / 1000).astimezone())


def is_time_key(key: str) -> bool:
    return key in _TIME_KEYS or key.endswith(_TIME_SUFFIXES)


def scalar(value: Any) -> str:
    """One value as text: ``-`` for None or empty, ``yes``/``no`` for booleans."""
    if value is None or value == "" or value == {} or value == []:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def cell(value: Any, narrow: bool = False) -> str:
    """A table cell: like :func:`scalar` but an empty cell stays empty; ``narrow``: times
    to the minute, local (the terminal's reader knows their offset)."""
    if value is None or value == "":
        return ""
    if narrow and isinstance(value, Stamp):
        return value.short
    if narrow and isinstance(value, float):
        return f"{value:.6g}"
    return scalar(value)


def field_value(key: str, value: Any) -> str:
    if is_time_key(key) and isinstance(value, int) and not isinstance(value, bool):
        return when(value)
    return scalar(value)


def record_lines(data: Mapping[str, Any], indent: str = "") -> Iterator[str]:
    """``key: value`` lines; a mapping nests under its key, a list of mappings as items."""
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield f"{indent}{key}:"
            yield from record_lines(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            yield f"{indent}{key}:"
            for item in value:
                yield f"{indent}  - " + " ".join(
                    f"{k}={field_value(k, v)}" for k, v in item.items())
        elif isinstance(value, list) and value:
            yield f"{indent}{key}: " + ", ".join(scalar(v) for v in value)
        else:
            yield f"{indent}{key}: {field_value(key, value)}"


def tsv_field(text: str) -> str:
    """A value that cannot break a tab-separated line."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def change_cell(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
                terminal: bool) -> str:
    """An event's change: its JSON in a pipe (so scripts parse it), and on a terminal
    what changed, compactly (``version: 1 -> 2, via=set``), nulls left out."""
    if not terminal:
        return json.dumps({k: v for k, v in (("before", before), ("after", after)) if v},
                          separators=(",", ":"), default=str)
    b, a = dict(before or {}), dict(after or {})
    parts = []
    for key in dict.fromkeys([*b, *a]):
        old, new = b.get(key), a.get(key)
        if key in b and key in a and old != new:
            parts.append(f"{key}: {scalar(old)} -> {scalar(new)}")
        elif key in a and new not in (None, "", [], {}):
            parts.append(f"{key}={scalar(new)}")
        elif key in b and key not in a and old not in (None, "", [], {}):
            parts.append(f"-{key}")
    return ", ".join(parts)
