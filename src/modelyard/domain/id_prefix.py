"""Ids given by a unique prefix, as git takes commits: ``deployments end 46c5ab57``.

Run and deployment ids are 32 lowercase hex digits.  A shorter hex string of at least
:data:`MIN_PREFIX` digits that is not an id itself names the one id it begins; none is
"does not exist", several is an error that lists them."""

from __future__ import annotations

from collections.abc import Callable

from modelyard.errors import InvalidParameter, NotFound

MIN_PREFIX = 4
ID_LENGTH = 32
SHOWN = 10  # candidates listed in an "ambiguous" error
_HEX = frozenset("0123456789abcdef")


def is_prefix(text: object) -> bool:
    """Whether ``text`` can be a shortened id (hex, shorter than an id, long enough)."""
    return (isinstance(text, str) and MIN_PREFIX <= len(text) < ID_LENGTH
            and set(text.lower()) <= _HEX)


def expand(kind: str, text: str, find: Callable[[str, int], list[str]]) -> str:
    """The one id that begins with ``text``; ``find(prefix, limit)`` lists candidates."""
    missing = f"{kind} {text!r} does not exist"
    if not is_prefix(text):
        hint = (f" (give its id or a unique prefix of at least {MIN_PREFIX} hex digits)"
                if len(text) < ID_LENGTH else "")
        raise NotFound(missing + hint)
    found = sorted(find(text.lower(), SHOWN + 1))
    if not found:
        raise NotFound(missing)
    if len(found) > 1:
        listed = ", ".join(found[:SHOWN]) + (", ..." if len(found) > SHOWN else "")
        raise InvalidParameter(f"{kind} id prefix {text!r} is ambiguous: it begins {listed}; "
                               "give more characters")
    return found[0]
