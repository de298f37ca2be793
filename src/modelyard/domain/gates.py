"""Gates: a transition's condition on the version, in the search filter language,
evaluated against the version itself (its metrics, tags, flavor, signature presence,
source run).  A failing gate names the failing condition and the actual values."""

from __future__ import annotations

import fnmatch
import re

from modelyard.domain.entities import ModelVersion
from modelyard.domain.lifecycle import GATE_FIELDS
from modelyard.domain.search import And, Compare, Field, Node, Or, parse_filter, quote
from modelyard.errors import Conflict

_MISSING = object()


def check_gates(gates: str | None, version: ModelVersion, transition: str) -> None:
    """Raise :class:`Conflict` naming every failing condition of ``gates``."""
    node = parse_filter(gates, GATE_FIELDS)
    if node is None:
        return
    failed = _failures(node, version)
    if failed:
        raise Conflict(f"gate of {transition} failed for {version.ref}: " + "; ".join(failed))


def _failures(node: Node, v: ModelVersion) -> list[str]:
    if isinstance(node, And):
        return [f for item in node.items for f in _failures(item, v)]
    if isinstance(node, Or):
        parts = [_failures(item, v) for item in node.items]
        if any(not p for p in parts):
            return []
        return ["(" + " OR ".join("; ".join(p) for p in parts) + ")"]
    actual = _value(node.field, v)
    if _holds(node, actual):
        return []
    return [f"{_text(node)} (actual: {_field_text(node.field)} is {_shown(actual)})"]


def _value(f: Field, v: ModelVersion) -> object:
    if f.kind == "metric":
        return v.metrics.get(f.key, _MISSING)
    if f.kind == "tag":
        return v.tags.get(f.key, _MISSING)
    if f.key == "signature":
        return "present" if v.signature else None
    value = getattr(v, f.key, None)
    return None if value == "" and f.key in ("run_id", "flavor") else value


def _holds(c: Compare, actual: object) -> bool:
    if c.op in ("IS NULL", "IS NOT NULL"):
        null = actual is None or actual is _MISSING
        return null if c.op == "IS NULL" else not null
    if actual is None or actual is _MISSING:
        return False
    if c.op in ("IN", "NOT IN"):
        values = c.value if isinstance(c.value, (list, tuple)) else [c.value]
        inside = any(_eq(actual, x) for x in values)
        return inside if c.op == "IN" else not inside
    if c.op in ("LIKE", "NOT LIKE", "ILIKE", "NOT ILIKE"):
        pattern = str(c.value).replace("%", "*").replace("_", "?")
        text = str(actual)
        if "ILIKE" in c.op:
            pattern, text = pattern.lower(), text.lower()
        match = re.fullmatch(fnmatch.translate(pattern), text, re.DOTALL) is not None
        return match if not c.op.startswith("NOT") else not match
    if c.op == "=":
        return _eq(actual, c.value)
    if c.op in ("!=", "<>"):
        return not _eq(actual, c.value)
    try:
        return _order(c.op, _num(actual), _num(c.value))
    except (TypeError, ValueError):
        return _order(c.op, str(actual), str(c.value))


def _order(op: str, a: float | str, b: float | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        a, b = str(a), str(b)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}.get(op, False)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}.get(op, False)


def _num(x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, str)):
        raise TypeError("not a number")
    return float(x)


def _eq(a: object, b: object) -> bool:
    try:
        return _num(a) == _num(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _field_text(f: Field) -> str:
    return {"metric": "metrics.", "tag": "tags."}.get(f.kind, "") + f.key


def _text(c: Compare) -> str:
    if c.op in ("IS NULL", "IS NOT NULL"):
        return f"{_field_text(c.field)} {c.op}"
    if isinstance(c.value, (list, tuple)):
        return f"{_field_text(c.field)} {c.op} ({', '.join(_literal(x) for x in c.value)})"
    return f"{_field_text(c.field)} {c.op} {_literal(c.value)}"


def _literal(x: object) -> str:
    return str(x) if isinstance(x, (int, float)) else quote(str(x))


def _shown(actual: object) -> str:
    if actual is _MISSING:
        return "absent"
    if actual is None:
        return "not set"
    return _literal(actual)
