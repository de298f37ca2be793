"""Model directories written by MLflow (an ``MLmodel`` file).

Read without MLflow where the format allows: scikit-learn (skops, or pickle with
``trust=True``), ONNX, and the signature and input example.  A ``python_function``
model with its own Python class (``python_model.pkl``) is cloudpickle by nature: it
needs ``trust=True`` and MLflow installed to load.  Every path read from ``MLmodel``
goes through :func:`~modelyard.flavors.manifest.model_path`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameter
from modelyard.flavors.base import require
from modelyard.flavors.loaded import LoadedModel
from modelyard.flavors.manifest import model_path
from modelyard.flavors.trust import require_trust, skops_load, unpickle

__all__ = ["load_mlflow_dir", "read_mlmodel"]

_NAN_TYPES = {"double", "float"}


def read_mlmodel(root: Path) -> dict[str, Any]:
    yaml = require("yaml", "mlflow-models")
    try:
        data = yaml.safe_load((root / "MLmodel").read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"the MLmodel file is not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("flavors"), dict):
        raise InvalidParameter("the MLmodel file has no 'flavors' section")
    return data


def _signature(mlmodel: dict[str, Any]) -> dict[str, Any] | None:
    raw = (mlmodel.get("signature") or {}).get("inputs")
    if not raw:
        return None
    try:
        specs = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return None
    if not isinstance(specs, list) or not specs:
        return None
    if specs[0].get("type") == "tensor":
        t = specs[0].get("tensor-spec") or {}
        return {"inputs": {"type": "tensor", "dtype": t.get("dtype"),
                           "shape": t.get("shape"), "nan": True}}
    if not all(isinstance(s, dict) and "name" in s for s in specs):
        return None
    cols = [{"name": str(s["name"]), "type": str(s.get("type", "double")),
             "nan": s.get("type") in _NAN_TYPES} for s in specs]
    return {"inputs": {"type": "columns", "columns": cols}}


def _example(root: Path, mlmodel: dict[str, Any]) -> dict[str, Any] | None:
    info = mlmodel.get("saved_input_example_info") or {}
    if not info.get("artifact_path"):
        return None
    try:
        body = json.loads(model_path(root, info["artifact_path"]).read_text())
    except (OSError, ValueError, InvalidParameter):
        return None
    if isinstance(body, dict) and "data" in body:
        return {k: body[k] for k in ("columns", "data") if k in body}
    if isinstance(body, dict) and "inputs" in body:
        return {"data": body["inputs"]}
    return None


def load_mlflow_dir(root: Path, *, trust: bool = False) -> LoadedModel:
    mlmodel = read_mlmodel(root)
    flavors = mlmodel["flavors"]
    signature = _signature(mlmodel)
    if "sklearn" in flavors:
        predictor, name = _sklearn(root, flavors, trust), "sklearn"
    elif "onnx" in flavors:
        from modelyard.flavors.onnx_flavor import load as load_onnx

        predictor, name = load_onnx(root, {"file": flavors["onnx"].get("data",
                                                                        "model.onnx")}, trust), "onnx"
    elif "python_function" in flavors:
        predictor, name = _pyfunc(root, flavors["python_function"], signature, trust), "python"
    else:
        raise InvalidParameter(f"cannot load MLflow flavors {sorted(flavors)} here; supported: "
                               "sklearn, onnx, python_function")
    return LoadedModel(predictor, name, signature, _example(root, mlmodel))


def _sklearn(root: Path, flavors: dict[str, Any], trust: bool) -> Any:
    from modelyard.flavors.sklearn_flavor import SklearnPredictor

    require("sklearn", "sklearn")
    spec = flavors["sklearn"]
    path = model_path(root, spec.get("pickled_model", "model.pkl"))
    fmt = spec.get("serialization_format", "cloudpickle")
    what = f"the MLflow scikit-learn model {path.name}"
    if fmt == "skops":
        require("skops.io", "sklearn")
        model = skops_load(path, what, trust)
    elif fmt in ("pickle", "cloudpickle"):
        model = unpickle(path, what, trust, cloud=fmt == "cloudpickle")
    else:
        raise InvalidParameter(f"unknown MLflow scikit-learn serialization {fmt!r}")
    method = (flavors.get("python_function") or {}).get("predict_fn", "predict")
    return SklearnPredictor(model, method)


def _pyfunc(root: Path, spec: dict[str, Any], signature: dict[str, Any] | None,
            trust: bool) -> Any:
    require_trust("this MLflow python_function model",
                  "MLflow stores its Python class with cloudpickle", trust)
    try:
        import mlflow.pyfunc as mlflow_pyfunc
    except ImportError:
        raise InvalidParameter("this MLflow python_function model needs MLflow itself to load: "
                               "pip install mlflow") from None
    model = mlflow_pyfunc.load_model(str(root))
    names = [c["name"] for c in ((signature or {}).get("inputs") or {}).get("columns", [])]
    return _PyfuncPredictor(model, names)


class _PyfuncPredictor:
    def __init__(self, model: Any, names: list[str]) -> None:
        self.model, self.names = model, names

    def predict(self, data: Any) -> Any:
        if self.names and getattr(data, "ndim", 0) == 2 and not hasattr(data, "columns"):
            import pandas as pd

            data = pd.DataFrame(data, columns=self.names)
        return self.model.predict(data)
