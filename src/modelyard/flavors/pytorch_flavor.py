"""PyTorch: the weights as safetensors plus the module class's import path and its
constructor arguments (the default), or a TorchScript archive.

Safetensors holds only tensors and the class is imported from installed code only (see
:mod:`modelyard.flavors.installed`), so the default loads without trust.  A TorchScript
archive is a program (code that PyTorch compiles and runs, and pickled data), so,
like pickle, it loads only with ``trust=True``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from modelyard.errors import InvalidParameter
from modelyard.flavors.base import require
from modelyard.flavors.manifest import model_path
from modelyard.flavors.python_flavor import class_path, import_class
from modelyard.flavors.trust import require_trust

NAME = "pytorch"
EXTRA = "pytorch"
PACKAGES = ("torch", "safetensors")


def detect(model: Any, roots: set[str]) -> bool:
    return "torch" in roots and callable(getattr(model, "state_dict", None))


def save(model: Any, root: Path, *, serialization: str | None = None,
         init_kwargs: dict[str, Any] | None = None, **_: Any) -> tuple[dict[str, Any], bool]:
    torch = require("torch", EXTRA)
    serialization = serialization or "safetensors"
    if serialization == "torchscript":
        scripted = model if isinstance(model, torch.jit.ScriptModule) else torch.jit.script(model)
        scripted.save(str(root / "model.pt"))
        return {"file": "model.pt", "serialization": "torchscript"}, True
    if serialization != "safetensors":
        raise InvalidParameter(f"unknown serialization {serialization!r} for PyTorch; use "
                               "'safetensors' (default) or 'torchscript'")
    path = class_path(model)
    if path is None:
        raise InvalidParameter("the module's class must be importable (not defined in "
                               "__main__ or a function) to save it as safetensors; or pass "
                               "serialization='torchscript'")
    try:
        json.dumps(init_kwargs or {})
    except TypeError:
        raise InvalidParameter("init_kwargs must be JSON values") from None
    st = require("safetensors.torch", EXTRA)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    st.save_file(state, str(root / "model.safetensors"))
    return {"file": "model.safetensors", "serialization": "safetensors", "class": path,
            "init_kwargs": init_kwargs or {}}, False


def load(root: Path, options: dict[str, Any], trust: bool) -> Any:
    torch = require("torch", EXTRA)
    path = model_path(root, options.get("file", "model.safetensors"))
    if options.get("serialization") == "torchscript":
        require_trust(f"the TorchScript model {path.name}", "a TorchScript archive is a "
                      "program that PyTorch runs", trust)
        module = torch.jit.load(str(path), map_location="cpu")
    else:
        st = require("safetensors.torch", EXTRA)
        cls = import_class(options.get("class"), root, trust)
        if not issubclass(cls, torch.nn.Module):
            raise InvalidParameter(f"{options.get('class')!r} is not a torch.nn.Module")
        kwargs = options.get("init_kwargs") or {}
        if not isinstance(kwargs, dict):
            raise InvalidParameter("init_kwargs in the model manifest must be an object")
        module = cls(**kwargs)
        module.load_state_dict(st.load_file(str(path)))
    module.eval()
    return TorchPredictor(module, torch)


class TorchPredictor:
    def __init__(self, module: Any, torch: Any) -> None:
        self.module, self.torch = module, torch

    def predict(self, data: Any) -> Any:
        arr = np.asarray(data.to_numpy() if hasattr(data, "columns") else data)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        with self.torch.inference_mode():
            out = self.module(self.torch.from_numpy(np.ascontiguousarray(arr)))
        return out.numpy() if hasattr(out, "numpy") else out
