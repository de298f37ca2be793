"""Search statements remembered by what they are built from.

Building a search statement (the filter's comparisons, the tag subqueries, the order)
cost about as much as running it on SQLite, and a client asks the same search again
and again (the mlflow client pages through one filter; a dashboard polls one).  A
:class:`StatementMemo` keeps the last statements a builder made, keyed by the
``repr`` of its arguments: the filter's parsed tree, the order, the page, what the
actor may read.  ``repr`` tells ``1`` from ``1.0`` and ``True`` (which compare equal,
and would bind different values), and works for a filter with a list in it.  A
statement is immutable, so a remembered one is the same statement built again (the
memo saves building it; SQLAlchemy's compiled cache, on the engine, is keyed by the
statement's cache key either way).  Bounded in entries, and a key longer than
:data:`MAX_KEY` characters (a long filter, a long list of ids) is built each time and
not kept; shared by the threads of a process, under a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, ParamSpec, TypeVar

#: The longest key remembered (longer ones are built each time).
MAX_KEY = 4096

P = ParamSpec("P")
T = TypeVar("T")


class StatementMemo(Generic[P, T]):
    def __init__(self, build: Callable[P, T], size: int = 256) -> None:
        self.build, self.size = build, size
        self._items: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        key = repr((args, sorted(kwargs.items())))
        if len(key) > MAX_KEY:
            return self.build(*args, **kwargs)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = self.build(*args, **kwargs)
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return made


def memoized(build: Callable[P, T]) -> StatementMemo[P, T]:
    """``build`` with its statements remembered (see the module docs)."""
    return StatementMemo(build)


__all__ = ["StatementMemo", "memoized"]
