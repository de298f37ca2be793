"""ONNX: the graph as ``model.onnx``, run with onnxruntime on the CPU.

The file is handed to onnxruntime as bytes, so a graph cannot point onnxruntime at
external data files outside the model directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from modelyard.errors import InvalidParameter
from modelyard.flavors.base import require
from modelyard.flavors.manifest import model_path

NAME = "onnx"
EXTRA = "onnx"
PACKAGES = ("onnxruntime", "onnx")

_ORT_TYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64,
              "tensor(int64)": np.int64, "tensor(int32)": np.int32,
              "tensor(bool)": np.bool_, "tensor(string)": object,
              "tensor(float16)": np.float16}


def detect(model: Any, roots: set[str]) -> bool:
    return "onnx" in roots and hasattr(model, "SerializeToString") and hasattr(model, "graph")


def save(model: Any, root: Path, *, output: str | int | None = None,
         **_: Any) -> tuple[dict[str, Any], bool]:
    (root / "model.onnx").write_bytes(model.SerializeToString())
    return {"file": "model.onnx", "output": output}, False


def load(root: Path, options: dict[str, Any], trust: bool) -> Any:
    ort = require("onnxruntime", EXTRA)
    data = model_path(root, options.get("file", "model.onnx")).read_bytes()
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
    return OnnxPredictor(session, options.get("output"))


class OnnxPredictor:
    def __init__(self, session: Any, output: str | int | None = None) -> None:
        self.session = session
        self.inputs = session.get_inputs()
        outputs = [o.name for o in session.get_outputs()]
        if output is None:
            self.output = outputs[0]
        elif isinstance(output, int) and 0 <= output < len(outputs):
            self.output = outputs[output]
        elif output in outputs:
            self.output = output
        else:
            raise InvalidParameter(f"the ONNX model has no output {output!r}; it has {outputs}")

    def _cast(self, arg: Any, values: Any) -> Any:
        dtype = _ORT_TYPES.get(arg.type)
        return np.asarray(values, dtype=dtype)

    def predict(self, data: Any) -> Any:
        if hasattr(data, "columns"):
            if len(self.inputs) == 1:
                feed = {self.inputs[0].name: self._cast(self.inputs[0], data.to_numpy())}
            else:
                feed = {a.name: self._cast(a, data[a.name].to_numpy().reshape(-1, 1))
                        for a in self.inputs}
        elif isinstance(data, dict):
            feed = {a.name: self._cast(a, data[a.name]) for a in self.inputs}
        else:
            if len(self.inputs) != 1:
                raise InvalidParameter(f"this ONNX model takes {len(self.inputs)} named "
                                       "inputs; send columns with those names")
            feed = {self.inputs[0].name: self._cast(self.inputs[0], data)}
        return self.session.run([self.output], feed)[0]
