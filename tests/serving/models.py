"""The test models of ``installed/servingmodels.py`` (put on ``sys.path`` here, as an
installed package would be) and an ONNX model for the flavor and serving tests."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

INSTALLED = str(Path(__file__).with_name("installed"))
if INSTALLED not in sys.path:
    sys.path.append(INSTALLED)

from servingmodels import CALLS, Constant, RowSum, Touch, Weights  # noqa: E402

__all__ = ["CALLS", "Constant", "RowSum", "Touch", "Weights", "iris_onnx"]


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
