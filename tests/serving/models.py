"""Small importable Python models for the flavor and serving tests.

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


def iris_onnx():  # type: ignore[no-untyped-def]
    """(float32 iris features, a fitted LogisticRegression, the same model as ONNX);
    skips the test when onnxruntime or skl2onnx is missing."""
    import pytest
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    clf = LogisticRegression(max_iter=500).fit(X, y)
    return X, clf, skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False})
