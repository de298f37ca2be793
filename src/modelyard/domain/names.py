"""Look-alike names: the confusable skeleton of Unicode TR39.

Two names are confusable when their skeletons are equal.  The skeleton here is TR39's
(NFD, every character mapped to its prototype by Unicode's confusables data, NFD
again), taken after NFKC: TR39 leaves compatibility forms such as full-width letters
(``ｆ``) to its identifier profile rather than to the confusables data, and a registry
name is shown where either would fool a reader.

The confusables data comes from the ``confusable-homoglyphs`` package, which ships
Unicode's ``confusables.txt`` as a symmetric table: every character lists the
characters it is confused with, with no direction.  The file's mappings form stars (a
prototype and the characters mapped onto it), so each connected group of the table is
one class; its prototype is the group's sequence of several characters if it has one,
else its one member confused with several others, else (a pair) the lower code point.
Any choice of one member a class gives the same equalities, which is all a skeleton is
for.  The package's parser kept the left-to-right marks that the file's comments put
around right-to-left characters; they are dropped (names never hold format
characters).

Names that differ only in case stay distinct (as MLflow's do), so
:func:`lookalike_of` never reports a name's case variant.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from functools import cache
from importlib import resources

_MARKS = str.maketrans("", "", "\u200e\u200f")


@cache
def _prototypes() -> dict[int, str]:
    """Every character of the confusables data (its code point, as ``str.translate``
    takes it) -> its class's prototype."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(
        encoding="utf-8")
    table: dict[str, list[dict[str, str]]] = json.loads(raw)
    edges: dict[str, set[str]] = {}
    for key, items in table.items():
        node = key.translate(_MARKS)
        for item in items:
            other = item["c"].translate(_MARKS)
            if node and other and node != other:
                edges.setdefault(node, set()).add(other)
                edges.setdefault(other, set()).add(node)
    out: dict[int, str] = {}
    seen: set[str] = set()
    for start in edges:
        if start in seen:
            continue
        group: set[str] = set()
        todo = [start]
        while todo:
            node = todo.pop()
            if node not in group:
                group.add(node)
                todo.extend(edges[node] - group)
        seen |= group
        longer = sorted(n for n in group if len(n) != 1)
        hubs = sorted(n for n in group if len(edges[n]) > 1)
        proto = longer[0] if longer else hubs[0] if hubs else min(group)
        for node in group:
            if len(node) == 1 and node != proto:
                out[ord(node)] = proto
    return out


def skeleton(name: str) -> str:
    """The confusable skeleton of ``name``: equal for names a reader cannot tell apart."""
    table = _prototypes()
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name))
    for _ in range(8):  # a prototype's characters may have prototypes of their own
        mapped = unicodedata.normalize("NFD", text.translate(table))
        if mapped == text:
            break
        text = mapped
    return text


def skeleton_key(name: str) -> str:
    """What the store indexes: the sha256 of the skeleton (a skeleton can be longer
    than the name, and an index key must stay short on every database)."""
    return hashlib.sha256(skeleton(name).encode("utf-8")).hexdigest()


def lookalike_of(name: str, candidates: Iterable[str]) -> str | None:
    """The first of ``candidates`` (names with the same skeleton) that ``name`` would be
    confused with: not ``name`` itself and not one that differs only in case."""
    for other in candidates:
        if other != name and other.lower() != name.lower():
            return other
    return None
