"""ClearML's query language, with bounded cost.

- ``name`` is a regular expression; the SDK always sends ``^<re.escape(name)>$``.
  That form is read back to the exact name (an equality lookup); a pattern without
  any regex syntax is a substring match.  Any other regex is refused: no user regex
  is ever compiled or sent to the database.
- Tag filters: items are ORed; ``-tag`` excludes; ``__$all`` / ``__$and`` switch to
  all-of, ``__$any`` / ``__$or`` back to any-of, ``__$not`` negates the next item.
- ``only_fields`` (dotted paths), ``order_by`` (``-field`` descending), ``page`` and
  ``page_size``.
"""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidParameter
from modelyard.server.clearml_compat.wire import strings

_META = set(".^$*+?{}[]|()\\")
MAX_PAGE = 500


def name_filter(pattern: str | None) -> tuple[str, str] | None:
    """``("exact", name)``, ``("contains", text)`` or None (no filter)."""
    if not pattern:
        return None
    if len(pattern) > 1024:
        raise InvalidParameter("name pattern is longer than 1024 characters")
    exact = pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$")
    body = pattern[1:-1] if exact else pattern
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body) or body[i + 1].isalnum():
                raise InvalidParameter(f"unsupported name pattern {pattern!r}: only an "
                                       "exact (escaped) name or a plain substring is accepted")
            out.append(body[i + 1])
            i += 2
            continue
        if c in _META:
            raise InvalidParameter(f"unsupported name pattern {pattern!r}: only an exact "
                                   "(escaped) name or a plain substring is accepted")
        out.append(c)
        i += 1
    return ("exact" if exact else "contains", "".join(out))


def name_matches(flt: tuple[str, str] | None, name: str) -> bool:
    if flt is None:
        return True
    kind, text = flt
    return name == text if kind == "exact" else text in name


def tag_matches(spec: list[str] | None, tags: list[str]) -> bool:
    if not spec:
        return True
    have = set(tags)
    mode_all = False
    include: list[bool] = []
    results: list[bool] = []
    negate = False
    for item in spec:
        if item in ("__$all", "__$and"):
            mode_all = True
            continue
        if item in ("__$any", "__$or"):
            mode_all = False
            continue
        if item == "__$not":
            negate = True
            continue
        if item.startswith("-"):
            results.append(item[1:] not in have)
            include.append(False)
        else:
            hit = item in have
            results.append(not hit if negate else hit)
            include.append(not negate)
        negate = False
    excludes = [r for r, inc in zip(results, include, strict=True) if not inc]
    includes = [r for r, inc in zip(results, include, strict=True) if inc]
    if not all(excludes):
        return False
    if not includes:
        return True
    return all(includes) if mode_all else any(includes)


def _get(doc: dict[str, Any], path: str) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def project(doc: dict[str, Any], only_fields: list[str] | None) -> dict[str, Any]:
    if not only_fields:
        return doc
    out: dict[str, Any] = {"id": doc.get("id")}
    for path in only_fields:
        value = _get(doc, path)
        if value is None and "." in path:
            continue
        cur = out
        parts = path.split(".")
        for part in parts[:-1]:
            cur = cur.setdefault(part, {})
        cur[parts[-1]] = value
    return out


def order(docs: list[dict[str, Any]], order_by: list[str] | None) -> list[dict[str, Any]]:
    for key in reversed(order_by or []):
        desc = key.startswith("-")
        field = key.lstrip("-+")
        docs = sorted(docs, key=lambda d: (_get(d, field) is None, str(_get(d, field) or "")),
                      reverse=desc)
    return docs


def page(docs: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    size = args.get("page_size")
    number = args.get("page")
    if size is None and number is None:
        return docs[:MAX_PAGE * 20]
    try:
        size_i = min(int(size if size is not None else MAX_PAGE), MAX_PAGE)
        page_i = int(number or 0)
    except (TypeError, ValueError):
        raise InvalidParameter("page and page_size must be integers") from None
    if size_i < 1 or page_i < 0:
        raise InvalidParameter("page must be >= 0 and page_size >= 1")
    return docs[page_i * size_i:(page_i + 1) * size_i]


def fields_needed(args: dict[str, Any]) -> set[str] | None:
    """The top-level fields a listing reads (projection, tag filters, order), or None
    for all of them."""
    only = strings(args, "only_fields")
    if not only:
        return None
    order_by = [o.lstrip("-") for o in strings(args, "order_by") or []]
    return {f.split(".", 1)[0] for f in [*only, *order_by]} | {"tags", "system_tags"}


def listing(docs: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Filter by tags/system_tags, order, page and project one list of documents."""
    tags, sys_tags = strings(args, "tags"), strings(args, "system_tags")
    kept = [d for d in docs if tag_matches(tags, d.get("tags") or [])
            and tag_matches(sys_tags, d.get("system_tags") or [])]
    only = strings(args, "only_fields")
    return [project(d, only) for d in page(order(kept, strings(args, "order_by")), args)]
