"""Request bodies in, response bodies out, for ``POST /invocations``.

MLflow's payloads: ``{"dataframe_split": {"columns": [...], "data": [[...]]}}``,
``{"dataframe_records": [{...}]}``, ``{"instances": ...}``, ``{"inputs": ...}`` and
CSV with a header row (``text/csv``).  Everything is checked against the model's
signature; a refusal is an :class:`~modelyard.errors.InvalidParameter` (400) that
names the key, column, row or dimension at fault.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from modelyard.errors import InvalidParameter
from modelyard.flavors.signature import Prepared, Signature

from types import ModuleType

orjson: ModuleType | None
try:  # orjson is several times faster; the standard library does the same job
    import orjson
except ImportError:  # pragma: no cover - exercised only without the serve extra
    orjson = None

__all__ = ["dumps", "loads", "parse_invocation", "to_jsonable"]

KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def loads(body: bytes) -> Any:
    """JSON, accepting the NaN/Infinity literals pandas and MLflow clients send."""
    if not body:
        raise InvalidParameter("the request body is empty; send JSON")
    if orjson is not None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidParameter(f"malformed JSON: {exc}") from None
    except RecursionError:
        raise InvalidParameter("malformed JSON: nested too deeply") from None


def dumps(obj: Any) -> bytes:
    if orjson is not None:
        try:
            out: bytes = orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
            return out
        except TypeError:
            pass
    return json.dumps(to_jsonable(obj), allow_nan=False, default=str).encode()


def to_jsonable(obj: Any) -> Any:
    """Predictions as JSON values: arrays to lists, frames to records, NaN to null."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            missing = np.isnan(obj)
            if missing.any():
                out = obj.astype(object)
                out[missing] = None
                return out.tolist()
            return obj.tolist()
        return obj.tolist()
    if hasattr(obj, "to_dict") and hasattr(obj, "iloc"):
        if hasattr(obj, "columns"):
            return [{str(k): to_jsonable(v) for k, v in r.items()}
                    for r in obj.to_dict(orient="records")]
        return to_jsonable(obj.to_numpy())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def predictions_body(output: Any) -> bytes:
    """``{"predictions": ...}``, as MLflow answers."""
    if isinstance(output, np.ndarray) and output.dtype.kind in "iub" or (
            isinstance(output, np.ndarray) and output.dtype.kind == "f"
            and not np.isnan(output).any()):
        return dumps({"predictions": output})
    return dumps({"predictions": to_jsonable(output)})


def parse_invocation(body: bytes, content_type: str, sig: Signature) -> Prepared:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("text/csv", "application/csv"):
        return _csv(body, sig)
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise InvalidParameter(f"unsupported content type {ctype!r}; send application/json "
                               "or text/csv")
    payload = loads(body)
    if not isinstance(payload, dict):
        raise InvalidParameter("the JSON body must be an object with one of the keys "
                               + ", ".join(KEYS))
    found = [k for k in KEYS if k in payload]
    if len(found) != 1:
        raise InvalidParameter("the JSON body must have exactly one of the keys "
                               + ", ".join(KEYS) + (f"; got {found}" if found else ""))
    key = found[0]
    value = payload[key]
    if key == "dataframe_split":
        if not isinstance(value, dict) or "data" not in value:
            raise InvalidParameter("'dataframe_split' must be an object with 'columns' and "
                                   "'data'")
        return sig.from_split(value.get("columns"), value["data"])
    if key == "dataframe_records":
        return sig.from_records(value)
    return _instances(value, sig)


def _instances(value: Any, sig: Signature) -> Prepared:
    if isinstance(value, dict):
        if sig.kind == "columns":
            return sig.from_columns(value)
        if len(value) == 1:
            return sig.from_tensor(next(iter(value.values())))
        raise InvalidParameter("this model takes one tensor; send 'inputs' as a list")
    if not isinstance(value, list):
        raise InvalidParameter("'instances' / 'inputs' must be a list or an object")
    if value and all(isinstance(r, dict) for r in value):
        return sig.from_records(value)
    return sig.from_tensor(value)


def _csv(body: bytes, sig: Signature) -> Prepared:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidParameter("the CSV body is not UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidParameter("the CSV body is empty; send a header row and data rows")
    header, data = rows[0], [r for r in rows[1:] if r]
    types = {c["name"]: c["type"] for c in sig.columns}
    numeric = [types.get(name, "double") in ("double", "float", "long", "integer")
               for name in header]
    out = []
    for i, row in enumerate(data):
        if len(row) != len(header):
            raise InvalidParameter(f"CSV row {i} has {len(row)} values; the header has "
                                   f"{len(header)}")
        out.append([_cell(v, num, header[j], i) for j, (v, num) in
                    enumerate(zip(row, numeric, strict=True))])
    if sig.kind == "columns":
        return sig.from_split(header, out)
    return sig.from_tensor(out)


def _cell(value: str, numeric: bool, column: str, row: int) -> Any:
    if not numeric:
        return value
    text = value.strip()
    if text == "" or text.lower() in ("nan", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidParameter(f"column {column!r} takes numbers; CSV row {row} has "
                               f"{value[:40]!r}") from None
