"""scikit-learn: saved with skops (a format that loads without running code) by
default; with pickle only when asked (``serialization="pickle"``), and such a model
then loads only with ``trust=True``."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameter
from modelyard.flavors.base import require
from modelyard.flavors.manifest import model_path
from modelyard.flavors.trust import skops_load, unpickle

NAME = "sklearn"
EXTRA = "sklearn"
PACKAGES = ("scikit-learn", "skops", "scipy")
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")


def detect(model: Any, roots: set[str]) -> bool:
    return "sklearn" in roots


def save(model: Any, root: Path, *, serialization: str | None = None,
         method: str | None = None, **_: Any) -> tuple[dict[str, Any], bool]:
    method = method or "predict"
    if method not in METHODS or not callable(getattr(model, method, None)):
        raise InvalidParameter(f"this model has no method {method!r} to predict with")
    serialization = serialization or "skops"
    if serialization == "skops":
        require("skops.io", EXTRA).dump(model, root / "model.skops")
        return {"file": "model.skops", "serialization": "skops", "method": method}, False
    if serialization in ("pickle", "cloudpickle"):
        with open(root / "model.pkl", "wb") as fh:
            if serialization == "cloudpickle":
                require("cloudpickle", "python").dump(model, fh)
            else:
                pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return {"file": "model.pkl", "serialization": serialization, "method": method}, True
    raise InvalidParameter(f"unknown serialization {serialization!r} for scikit-learn; "
                           "use 'skops' (default) or 'pickle'")


def load(root: Path, options: dict[str, Any], trust: bool) -> Any:
    require("sklearn", EXTRA)
    path = model_path(root, options.get("file", "model.skops"))
    serialization = options.get("serialization", "skops")
    what = f"the scikit-learn model {path.name}"
    if serialization == "skops":
        require("skops.io", EXTRA)
        model = skops_load(path, what, trust)
    elif serialization in ("pickle", "cloudpickle"):
        model = unpickle(path, what, trust, cloud=serialization == "cloudpickle")
    else:
        raise InvalidParameter(f"unknown scikit-learn serialization {serialization!r}")
    return SklearnPredictor(model, options.get("method", "predict"))


#: Estimators whose column names serve only to check inputs (no selection by name).
_NAME_CHECK_ONLY = ("sklearn.ensemble.", "sklearn.tree.", "sklearn.linear_model.",
                    "sklearn.svm.", "sklearn.neighbors.", "sklearn.naive_bayes.",
                    "sklearn.discriminant_analysis.")


class SklearnPredictor:
    """Calls the chosen method; gives column names back to models fitted on a frame
    (so scikit-learn neither warns nor reorders)."""

    def __init__(self, model: Any, method: str = "predict") -> None:
        if method not in METHODS:
            raise InvalidParameter(f"unknown prediction method {method!r}")
        self.model = model
        self._fn = getattr(model, method)
        names = getattr(model, "feature_names_in_", None)
        self.feature_names = [str(n) for n in names] if names is not None else None
        # The columns of a 2-D array the server hands over, in the signature's order.
        self.input_names: list[str] | None = None
        self._order: list[int] | None = None
        self._arrays = False  # whether 2-D arrays go to the model as they are

    def use_input_names(self, names: list[str]) -> None:
        """The signature's numeric columns: arrays arrive in this order, checked.

        For estimators that use column names only to check them, the names already
        checked against the signature are not checked again: the columns are put in
        the fitted order and the model gets a plain array, which spares scikit-learn's
        per-call frame validation (most of the fixed cost of a small predict)."""
        self.input_names = names
        fitted = self.feature_names
        if fitted is None or sorted(fitted) != sorted(names) or len(set(names)) != len(names):
            return
        if not type(self.model).__module__.startswith(_NAME_CHECK_ONLY):
            return
        order = [names.index(f) for f in fitted]
        self._order = None if order == list(range(len(order))) else order
        del self.model.feature_names_in_
        self._arrays = True

    def predict(self, data: Any) -> Any:
        if self._arrays:
            if hasattr(data, "columns"):
                data = data[self.feature_names].to_numpy()
            elif self._order is not None and getattr(data, "ndim", 0) == 2:
                data = data[:, self._order]
            return self._fn(data)
        if self.feature_names is not None and getattr(data, "ndim", 0) == 2 \
                and not hasattr(data, "columns"):
            import pandas as pd

            data = pd.DataFrame(data, columns=self.input_names or self.feature_names,
                                copy=False)
        return self._fn(data)
