"""Small importable Python models for the flavor and serving tests, in a folder of
their own on ``sys.path`` (as an installed package would be): a model's class loads
without trust only from installed code, never from the working directory.

They are plain classes with a ``predict`` method, saved by the generic Python flavor
as JSON state (no pickle).  ``CALLS`` records the batch size of every call per tag, so
tests can observe micro-batching and shadow traffic."""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np

CALLS: dict[str, list[int]] = defaultdict(list)


class RowSum:
    """Answers ``factor * row sum``; optionally sleeps per call, like a model whose cost
    barely depends on the number of rows."""

    def __init__(self, tag: str, factor: float = 1.0, delay: float = 0.0) -> None:
        self.tag = tag
        self.factor = factor
        self.delay = delay

    def predict(self, data):  # type: ignore[no-untyped-def]
        arr = np.asarray(data, dtype=np.float64)
        CALLS[self.tag].append(len(arr))
        if self.delay:
            time.sleep(self.delay)
        return arr.sum(axis=1) * self.factor


class Constant:
    """Answers its ``value`` for every row (to tell versions apart)."""

    def __init__(self, value: int, tag: str = "constant") -> None:
        self.value = value
        self.tag = tag

    def predict(self, data):  # type: ignore[no-untyped-def]
        CALLS[self.tag].append(len(data))
        return np.full(len(data), self.value, dtype=np.int64)


class Weights:
    """State with a NumPy array, saved to state.npz."""

    def __init__(self, w: np.ndarray) -> None:
        self.w = w

    def predict(self, data):  # type: ignore[no-untyped-def]
        return np.asarray(data, dtype=np.float64) @ self.w


def _touch(path: str) -> Constant:
    with open(path, "w") as fh:
        fh.write("ran")
    return Constant(1, tag="touch")


class Touch:
    """Pickles to a call that creates ``path`` when unpickled (standing in for the code
    any pickle may run) and then gives a :class:`Constant`."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_touch, (self.path,))
