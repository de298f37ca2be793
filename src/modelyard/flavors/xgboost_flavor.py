"""XGBoost: the booster in its own JSON format (``model.json``), no pickle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelyard.flavors.base import require
from modelyard.flavors.manifest import model_path

NAME = "xgboost"
EXTRA = "xgboost"
PACKAGES = ("xgboost",)


def detect(model: Any, roots: set[str]) -> bool:
    return "xgboost" in roots


def save(model: Any, root: Path, **_: Any) -> tuple[dict[str, Any], bool]:
    xgb = require("xgboost", EXTRA)
    kind = "booster" if isinstance(model, xgb.Booster) else type(model).__name__
    model.save_model(str(root / "model.json"))
    proba = kind == "XGBClassifier"
    return {"file": "model.json", "kind": kind, "classifier": proba}, False


def load(root: Path, options: dict[str, Any], trust: bool) -> Any:
    xgb = require("xgboost", EXTRA)
    path = str(model_path(root, options.get("file", "model.json")))
    kind = options.get("kind", "booster")
    if kind in ("XGBClassifier", "XGBRegressor", "XGBRanker"):
        model = getattr(xgb, kind)()
        model.load_model(path)
        return model
    booster = xgb.Booster()
    booster.load_model(path)
    return _BoosterPredictor(booster, xgb)


class _BoosterPredictor:
    def __init__(self, booster: Any, xgb: Any) -> None:
        self.booster, self.xgb = booster, xgb

    def predict(self, data: Any) -> Any:
        return self.booster.inplace_predict(data)
