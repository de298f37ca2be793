"""LightGBM: the booster in its own text format (``model.txt``), no pickle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelyard.flavors.base import require
from modelyard.flavors.manifest import model_path

NAME = "lightgbm"
EXTRA = "lightgbm"
PACKAGES = ("lightgbm",)


def detect(model: Any, roots: set[str]) -> bool:
    return "lightgbm" in roots


def save(model: Any, root: Path, **_: Any) -> tuple[dict[str, Any], bool]:
    booster = getattr(model, "booster_", model)
    booster.save_model(str(root / "model.txt"))
    classifier = type(model).__name__ == "LGBMClassifier"
    return {"file": "model.txt", "classifier": classifier}, False


def load(root: Path, options: dict[str, Any], trust: bool) -> Any:
    lgb = require("lightgbm", EXTRA)
    booster = lgb.Booster(model_file=str(model_path(root, options.get("file", "model.txt"))))
    return _Predictor(booster, bool(options.get("classifier")))


class _Predictor:
    """Regressors answer values; classifiers answer labels, as ``predict`` does on the
    scikit-learn wrapper."""

    def __init__(self, booster: Any, classifier: bool) -> None:
        self.booster, self.classifier = booster, classifier

    def predict(self, data: Any) -> Any:
        out = self.booster.predict(data)
        if not self.classifier:
            return out
        if out.ndim == 1:
            return (out > 0.5).astype("int64")
        return out.argmax(axis=1)
