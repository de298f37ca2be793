"""A loaded model, whatever its flavor: a predictor, its signature and input example."""

from __future__ import annotations

from typing import Any

import numpy as np

from modelyard.flavors.signature import Prepared, Signature

__all__ = ["LoadedModel"]


class LoadedModel:
    """A loaded model: ``predict`` takes a DataFrame, an array, a list of rows or a
    dict of columns, checks it against the signature and calls the model."""

    def __init__(self, predictor: Any, flavor: str, signature: dict[str, Any] | None,
                 input_example: dict[str, Any] | None = None,
                 requirements: list[str] | None = None) -> None:
        self.predictor = predictor
        self.flavor = flavor
        self.signature = Signature(signature)
        self.input_example = input_example
        self.requirements = requirements or []
        self.version: Any = None  # the registry's ModelVersion when loaded from one
        if self.signature.all_numeric and hasattr(predictor, "use_input_names"):
            predictor.use_input_names(self.signature.names)

    def __repr__(self) -> str:
        where = f" {self.version.model}/{self.version.version}" if self.version else ""
        return f"<LoadedModel{where} flavor={self.flavor}>"

    def prepare(self, data: Any) -> Prepared:
        """Check and convert an in-process input (the server has its own parsers)."""
        sig = self.signature
        if hasattr(data, "columns") and hasattr(data, "iloc"):
            return sig.from_frame(data)
        if isinstance(data, dict):
            return sig.from_columns(data)
        if sig.kind == "columns" and isinstance(data, np.ndarray):
            return sig.from_split(None, data.tolist())
        if sig.kind is None:
            return Prepared(data, len(data) if hasattr(data, "__len__") else 1)
        return sig.from_tensor(data)

    def predict(self, data: Any) -> Any:
        return self.predictor.predict(self.prepare(data).data)

    def predict_prepared(self, data: Any) -> Any:
        return self.predictor.predict(data)

    def example_input(self) -> Prepared | None:
        """The saved input example, converted as a request would be (for warm-up)."""
        ex = self.input_example
        if not isinstance(ex, dict) or "data" not in ex:
            return None
        if "columns" in ex:
            return self.signature.from_split(ex["columns"], ex["data"])
        return self.signature.from_tensor(ex["data"])
