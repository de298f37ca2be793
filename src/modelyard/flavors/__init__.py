"""Saving and loading models by flavor (scikit-learn, ONNX, PyTorch, XGBoost, LightGBM,
a generic Python class, and MLflow model directories).  See :mod:`modelyard.flavors.api`."""

from modelyard.flavors.api import LoadedModel, load_model, log_model, save_model

__all__ = ["LoadedModel", "load_model", "log_model", "save_model"]
