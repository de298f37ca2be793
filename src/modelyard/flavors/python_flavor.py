"""A generic Python object with a ``predict`` method.

Saved safely when it can be: the class's import path plus its instance attributes,
JSON values in ``state.json`` and NumPy arrays in ``state.npz`` (loaded with
``allow_pickle=False``).  Loading imports the class from installed code only (never
from the model directory or the working directory, unless ``trust=True``; see
:mod:`modelyard.flavors.installed`) and restores the attributes without calling ``__init__``, as pickle would, but without running
anything the file says.  Objects whose state is anything else are saved with
cloudpickle and load only with ``trust=True``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from modelyard.errors import InvalidParameter
from modelyard.flavors.base import require
from modelyard.flavors.installed import import_module
from modelyard.flavors.manifest import model_path
from modelyard.flavors.trust import unpickle

NAME = "python"
EXTRA = "python"
PACKAGES: tuple[str, ...] = ()


def detect(model: Any, roots: set[str]) -> bool:
    return callable(getattr(model, "predict", None))


def class_path(obj: Any) -> str | None:
    cls = type(obj)
    if cls.__module__ in ("__main__", "builtins") or "<locals>" in cls.__qualname__:
        return None
    return f"{cls.__module__}:{cls.__qualname__}"


def _split_state(obj: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
    state = getattr(obj, "__dict__", None)
    if not isinstance(state, dict) or hasattr(type(obj), "__slots__"):
        return None
    plain: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray) and value.dtype != object:
            arrays[key] = value
            continue
        try:
            if json.loads(json.dumps(value)) != value:
                return None
        except (TypeError, ValueError):
            return None
        plain[key] = value
    return plain, arrays


def save(model: Any, root: Path, *, serialization: str | None = None,
         **_: Any) -> tuple[dict[str, Any], bool]:
    path = class_path(model)
    state = _split_state(model) if path else None
    if serialization in (None, "state") and state is not None and path is not None:
        plain, arrays = state
        (root / "state.json").write_text(json.dumps(plain, sort_keys=True))
        if arrays:
            savez: Callable[..., None] = np.savez  # takes the arrays by keyword
            savez(root / "state.npz", **arrays)
        return {"class": path, "state": "state.json",
                "arrays": "state.npz" if arrays else None}, False
    if serialization == "state":
        raise InvalidParameter(
            "this object cannot be saved as plain state: its class must be importable (not "
            "defined in __main__ or a function) and its attributes JSON values or NumPy "
            "arrays; pass serialization='cloudpickle' to pickle it instead")
    if serialization not in (None, "cloudpickle"):
        raise InvalidParameter(f"unknown serialization {serialization!r} for a Python model; "
                               "use 'state' or 'cloudpickle'")
    cloudpickle = require("cloudpickle", EXTRA)
    with open(root / "model.cloudpickle", "wb") as fh:
        cloudpickle.dump(model, fh)
    return {"file": "model.cloudpickle"}, True


def import_class(path: object, root: Path, trust: bool) -> type:
    """A class named ``module:Qualname``, from installed code unless ``trust`` (see
    :mod:`modelyard.flavors.installed`)."""
    if not isinstance(path, str) or path.count(":") != 1 or not all(path.split(":")):
        raise InvalidParameter(f"invalid class path in the model manifest: {path!r}")
    module_name, qualname = path.split(":")
    if any(not p.isidentifier() for p in module_name.split(".")):
        raise InvalidParameter(f"invalid class path in the model manifest: {path!r}")
    try:
        obj: Any = import_module(module_name, root, trust, f"the model's manifest ({path})")
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise InvalidParameter(f"cannot import {path!r}, which this model needs; install the "
                               "package that defines it") from None
    if not isinstance(obj, type):
        raise InvalidParameter(f"{path!r} in the model manifest is not a class")
    return obj


def load(root: Path, options: dict[str, Any], trust: bool) -> Any:
    if "file" in options:
        return unpickle(model_path(root, options["file"]), "this Python model", trust,
                        cloud=True)
    cls: Any = import_class(options.get("class"), root, trust)
    if not callable(getattr(cls, "predict", None)):
        raise InvalidParameter(f"{options.get('class')!r} has no predict method")
    state = json.loads(model_path(root, options.get("state", "state.json")).read_text())
    if not isinstance(state, dict):
        raise InvalidParameter("state.json must hold an object")
    if options.get("arrays"):
        with np.load(model_path(root, options["arrays"]), allow_pickle=False) as npz:
            state.update({k: npz[k] for k in npz.files})
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj
