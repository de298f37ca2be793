"""The Open Inference Protocol (KServe v2), which KServe, Seldon and Triton clients
speak: ``POST /v2/models/{name}/infer`` with named tensors in, named tensors out.

A model with named columns takes either one ``[N, columns]`` tensor (columns in the
signature's order) or one ``[N]`` / ``[N, 1]`` tensor per column, named after it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modelyard.errors import InvalidParameter
from modelyard.flavors.signature import Prepared, Signature

__all__ = ["DATATYPES", "metadata", "parse_infer", "response"]

DATATYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
             "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
             "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
             "BYTES": object}
_SIG_TO_OIP = {"double": "FP64", "float": "FP32", "long": "INT64", "integer": "INT32",
               "boolean": "BOOL", "string": "BYTES", "binary": "BYTES", "datetime": "BYTES"}


def _tensor(spec: Any, i: int) -> tuple[str, np.ndarray]:
    if not isinstance(spec, dict):
        raise InvalidParameter(f"inputs[{i}] must be an object with name, shape, datatype "
                               "and data")
    name = spec.get("name")
    shape, dtype, data = spec.get("shape"), spec.get("datatype"), spec.get("data")
    if not isinstance(name, str) or not name:
        raise InvalidParameter(f"inputs[{i}] has no name")
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise InvalidParameter(f"input {name!r}: 'shape' must be a list of non-negative "
                               "integers")
    if dtype not in DATATYPES:
        raise InvalidParameter(f"input {name!r}: unknown datatype {dtype!r}; use one of "
                               + ", ".join(DATATYPES))
    if not isinstance(data, list):
        raise InvalidParameter(f"input {name!r}: 'data' must be a list")
    try:
        arr: np.ndarray = np.asarray(data, dtype=DATATYPES[dtype])
    except (TypeError, ValueError):
        raise InvalidParameter(f"input {name!r}: data is not {dtype}") from None
    want = int(np.prod(shape)) if shape else 1
    if arr.size != want:
        raise InvalidParameter(f"input {name!r}: shape {shape} needs {want} values, got "
                               f"{arr.size}")
    return name, arr.reshape(shape)


def parse_infer(payload: Any, sig: Signature) -> tuple[Prepared, str | None]:
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), list) \
            or not payload["inputs"]:
        raise InvalidParameter("the body must be an object with a non-empty 'inputs' list")
    request_id = payload.get("id")
    tensors = dict(_tensor(spec, i) for i, spec in enumerate(payload["inputs"]))
    if len(tensors) != len(payload["inputs"]):
        raise InvalidParameter("two inputs have the same name")
    if sig.kind == "columns":
        if len(tensors) == 1 and next(iter(tensors)) not in sig.names:
            (name, arr), = tensors.items()
            if arr.ndim != 2 or arr.shape[1] != len(sig.names):
                raise InvalidParameter(
                    f"input {name!r} has shape {list(arr.shape)}; this model takes "
                    f"[N, {len(sig.names)}] (columns {', '.join(sig.names[:8])}"
                    f"{', ...' if len(sig.names) > 8 else ''}) or one input per column")
            return sig.from_split(sig.names, arr.tolist()), _id(request_id)
        columns = {}
        for name, arr in tensors.items():
            if arr.ndim == 2 and arr.shape[1] == 1:
                arr = arr[:, 0]
            if arr.ndim != 1:
                raise InvalidParameter(f"input {name!r} has shape {list(arr.shape)}; a column "
                                       "takes [N] or [N, 1]")
            columns[name] = arr.tolist()
        return sig.from_columns(columns), _id(request_id)
    if len(tensors) != 1:
        raise InvalidParameter(f"this model takes one input tensor, got {len(tensors)}")
    arr = next(iter(tensors.values()))
    if sig.kind == "tensor":
        return sig.from_tensor(arr), _id(request_id)
    return Prepared(arr, arr.shape[0] if arr.ndim else 1), _id(request_id)


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _datatype(arr: np.ndarray) -> str:
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "b":
        return "BOOL"
    if kind == "f":
        return {2: "FP16", 4: "FP32"}.get(size, "FP64")
    if kind == "i":
        return {1: "INT8", 2: "INT16", 4: "INT32"}.get(size, "INT64")
    if kind == "u":
        return {1: "UINT8", 2: "UINT16", 4: "UINT32"}.get(size, "UINT64")
    return "BYTES"


def _out(name: str, values: Any) -> dict[str, Any]:
    arr = np.asarray(values)
    dtype = _datatype(arr)
    flat = arr.ravel()
    data = [str(v) for v in flat.tolist()] if dtype == "BYTES" else flat.tolist()
    if dtype.startswith("FP") and np.isnan(flat.astype(np.float64)).any():
        data = [None if v != v else v for v in data]
    return {"name": name, "datatype": dtype, "shape": list(arr.shape), "data": data}


def response(model: str, version: str, request_id: str | None, output: Any) -> dict[str, Any]:
    if hasattr(output, "columns"):
        outputs = [_out(str(c), output[c].to_numpy()) for c in output.columns]
    elif isinstance(output, dict):
        outputs = [_out(str(k), v) for k, v in output.items()]
    else:
        outputs = [_out("predict", output.to_numpy() if hasattr(output, "iloc") else output)]
    body: dict[str, Any] = {"model_name": model, "model_version": version, "outputs": outputs}
    if request_id is not None:
        body["id"] = request_id
    return body


def metadata(model: str, versions: list[str], platform: str, sig: Signature) -> dict[str, Any]:
    if sig.kind == "columns":
        inputs = [{"name": c["name"], "datatype": _SIG_TO_OIP.get(c["type"], "BYTES"),
                   "shape": [-1]} for c in sig.columns]
    elif sig.kind == "tensor":
        dt = _datatype(np.empty(0, dtype=sig.dtype)) if sig.dtype not in (None, "object") \
            else "BYTES"
        inputs = [{"name": "input", "datatype": dt, "shape": sig.shape}]
    else:
        inputs = []
    return {"name": model, "versions": versions, "platform": platform, "inputs": inputs,
            "outputs": [{"name": "predict", "datatype": "BYTES", "shape": [-1]}]}
