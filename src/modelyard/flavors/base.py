"""What every flavor module provides, the table of flavors, and the helpers they share.

A flavor module defines::

    NAME = "sklearn"                      # the manifest's "flavor"
    EXTRA = "sklearn"                     # pip install 'modelyard[<EXTRA>]'
    PACKAGES = ("scikit-learn", "skops")  # captured as requirements when saving
    def detect(model) -> bool
    def save(model, root: Path, **options) -> (options: dict, needs_pickle: bool)
    def load(root: Path, options: dict, trust: bool) -> object with .predict(X)

Flavor modules are imported lazily, so a missing library only matters to the flavor
that needs it, and :func:`require` turns its absence into one clear error.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from types import ModuleType
from typing import Any

from modelyard.errors import InvalidParameter

__all__ = ["FLAVORS", "detect_flavor", "flavor_module", "requirements",
           "require"]

# Detection order matters: XGBoost and LightGBM models also look like scikit-learn ones.
FLAVORS = ("onnx", "xgboost", "lightgbm", "pytorch", "sklearn", "python")


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or explain which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InvalidParameter(
            f"this model needs the Python package {module.split('.')[0]!r}, which is not "
            f"installed; pip install 'modelyard[{extra}]'") from None


def flavor_module(name: str) -> ModuleType:
    if name not in FLAVORS:
        raise InvalidParameter(f"unknown model flavor {name!r}; known: {', '.join(FLAVORS)}")
    return importlib.import_module(f"modelyard.flavors.{name}_flavor")


def _module_root(model: Any) -> set[str]:
    return {c.__module__.split(".")[0] for c in type(model).__mro__}


def detect_flavor(model: Any) -> str:
    roots = _module_root(model)
    for name in FLAVORS:
        if flavor_module(name).detect(model, roots):
            return name
    raise InvalidParameter(
        f"cannot tell how to save a {type(model).__module__}.{type(model).__qualname__}: "
        "it is not a scikit-learn, ONNX, PyTorch, XGBoost or LightGBM model and has no "
        "predict() method")


def requirements(packages: tuple[str, ...]) -> list[str]:
    """``name==version`` for each installed package (numpy always included)."""
    out = []
    for pkg in dict.fromkeys(("numpy", *packages)):
        try:
            out.append(f"{pkg}=={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            continue
    return out
