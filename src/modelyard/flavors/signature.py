"""Signatures: what a model takes, inferred from an input example, and the checks that
turn a request into the array or frame the model is given.

Two kinds, stored as plain JSON in the model manifest and on the registry version::

    {"inputs": {"type": "columns", "columns": [{"name": "age", "type": "double",
                                                 "nan": false}, ...]}}
    {"inputs": {"type": "tensor", "dtype": "float32", "shape": [-1, 4], "nan": false}}

``-1`` is a free dimension (the batch).  ``nan`` says whether missing values (NaN,
null) are accepted; it is inferred from the example (an example without NaN means
the model is not known to accept them) and can be overridden when saving.
Every refusal is an :class:`~modelyard.errors.InvalidParameter` naming the column,
row or dimension at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from modelyard.errors import InvalidParameter

__all__ = ["Signature", "infer_signature"]

_NUMERIC = {"double", "float", "long", "integer"}
_NP: dict[str, Any] = {"double": np.float64, "float": np.float32, "long": np.int64, "integer": np.int32,
       "boolean": np.bool_, "string": object, "datetime": "datetime64[ns]", "binary": object}


def _type_of(dtype: Any) -> str:
    dtype = np.dtype(dtype) if not hasattr(dtype, "kind") else dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "f":
        return "float" if dtype.itemsize == 4 else "double"
    if kind in "iu":
        return "integer" if dtype.itemsize <= 4 else "long"
    if kind == "b":
        return "boolean"
    if kind == "M":
        return "datetime"
    if kind == "S":
        return "binary"
    return "string"


def _has_nan(values: Any) -> bool:
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        return bool(np.isnan(arr).any())
    if arr.dtype.kind == "O":
        return any(v is None or (isinstance(v, float) and v != v) for v in arr.ravel())
    return False


def infer_signature(example: Any, allow_nan: bool | None = None) -> dict[str, Any] | None:
    """The signature of a pandas DataFrame, a NumPy array, a list of rows or a dict of
    columns; ``None`` when the example is ``None``."""
    if example is None:
        return None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas ships with every tabular flavor
        pd = None
    if isinstance(example, dict) and pd is not None:
        example = pd.DataFrame(example)
    if pd is not None and isinstance(example, pd.DataFrame):
        cols = []
        for name in example.columns:
            series = example[name]
            nan = bool(series.isna().any()) if allow_nan is None else allow_nan
            cols.append({"name": str(name), "type": _type_of(series.dtype), "nan": nan})
        return {"inputs": {"type": "columns", "columns": cols}}
    arr = np.asarray(example)
    if arr.ndim == 0:
        raise InvalidParameter("an input example must have at least one dimension (rows)")
    nan = _has_nan(arr) if allow_nan is None else allow_nan
    return {"inputs": {"type": "tensor", "dtype": str(arr.dtype) if arr.dtype.kind != "O"
                       else "object", "shape": [-1, *arr.shape[1:]], "nan": nan}}


@dataclass(frozen=True)
class Prepared:
    """A request's input, checked and converted: ``data`` is a 2-D float array, an
    n-D tensor or a DataFrame; ``rows`` its length."""

    data: Any
    rows: int


class Signature:
    """Checks and converts inputs; built from the JSON form (or ``None``: no checks)."""

    def __init__(self, spec: dict[str, Any] | None) -> None:
        self.spec = spec or {}
        inputs = self.spec.get("inputs") or {}
        self.kind = inputs.get("type")
        self.columns: list[dict[str, Any]] = list(inputs.get("columns") or [])
        self.names = [c["name"] for c in self.columns]
        self.all_numeric = bool(self.columns) and all(c["type"] in _NUMERIC
                                                        for c in self.columns)
        self.dtype = inputs.get("dtype")
        self.shape = inputs.get("shape")
        self.nan = inputs.get("nan", True)

    def to_dict(self) -> dict[str, Any] | None:
        return self.spec or None

    # -- tabular ------------------------------------------------------------------------
    def from_split(self, columns: list[Any] | None, data: Any) -> Prepared:
        """``dataframe_split``-shaped input: column names and a list of rows."""
        if not isinstance(data, list):
            raise InvalidParameter("'data' must be a list of rows")
        if self.kind != "columns":
            return self.from_tensor(data)
        if columns is None:
            columns = self.names
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise InvalidParameter("'columns' must be a list of column names")
        self._check_columns(columns)
        width = len(columns)
        for i, row in enumerate(data):
            if not isinstance(row, list) or len(row) != width:
                got = len(row) if isinstance(row, list) else type(row).__name__
                raise InvalidParameter(f"row {i} has {got} values; expected {width} "
                                       f"(one per column)")
        if self.all_numeric:
            return self._numeric(columns, data)
        return self._frame({c: [row[j] for row in data] for j, c in enumerate(columns)},
                           len(data))

    def from_records(self, records: Any) -> Prepared:
        """``dataframe_records``-shaped input: a list of ``{column: value}``."""
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InvalidParameter("'dataframe_records' must be a list of objects")
        if self.kind != "columns":
            cols = list(records[0]) if records else []
            return self._frame({c: [r.get(c) for r in records] for c in cols}, len(records))
        for i, r in enumerate(records):
            self._check_columns(list(r), row=i)
        return self.from_split(self.names, [[r[c] for c in self.names] for r in records])

    def from_columns(self, columns: dict[str, Any]) -> Prepared:
        """A dict of column name -> list of values (``inputs``/``instances`` as columns)."""
        if self.kind != "columns":
            raise InvalidParameter("this model takes a tensor, not named columns")
        self._check_columns(list(columns))
        lengths = {len(v) if isinstance(v, list) else 1 for v in columns.values()}
        if len(lengths) > 1:
            raise InvalidParameter("all columns must have the same number of values")
        cols = {k: v if isinstance(v, list) else [v] for k, v in columns.items()}
        n = lengths.pop() if lengths else 0
        return self.from_split(self.names, [[cols[c][i] for c in self.names] for i in range(n)])

    def from_frame(self, frame: Any) -> Prepared:
        if self.kind != "columns":
            return self.from_tensor(frame.to_numpy())
        self._check_columns([str(c) for c in frame.columns])
        frame = frame[self.names]
        if self.all_numeric:
            return self._numeric(self.names, frame.to_numpy())
        return self._frame({c: frame[c].tolist() for c in self.names}, len(frame))

    def _check_columns(self, columns: list[str], row: int | None = None) -> None:
        if not self.columns:
            return
        where = f" (record {row})" if row is not None else ""
        known = set(self.names)
        for c in columns:
            if c not in known:
                raise InvalidParameter(f"unknown column {c!r}{where}; this model takes "
                                       f"{_show(self.names)}")
        present = set(columns)
        for c in self.names:
            if c not in present:
                raise InvalidParameter(f"missing column {c!r}{where}; this model takes "
                                       f"{_show(self.names)}")
        if len(columns) != len(present):
            raise InvalidParameter(f"a column is given twice{where}")

    def _numeric(self, columns: list[str], data: Any) -> Prepared:
        try:
            arr = np.asarray(data, dtype=np.float64)
        except (TypeError, ValueError):
            self._find_bad_value(columns, data)
            raise InvalidParameter(f"expected rows of {len(columns)} numbers") from None
        if arr.ndim != 2 or arr.shape[1] != len(columns):
            if len(data) == 0:
                arr = np.empty((0, len(columns)), dtype=np.float64)
            else:
                raise InvalidParameter(f"expected rows of {len(columns)} numbers")
        if columns != self.names:
            arr = arr[:, [columns.index(c) for c in self.names]]
        self._check_numeric_columns(arr)
        return Prepared(arr, arr.shape[0])

    def _check_numeric_columns(self, arr: np.ndarray) -> None:
        bad = np.isnan(arr)
        if bad.any():
            for j, col in enumerate(self.columns):
                if not col.get("nan", True) and bad[:, j].any():
                    i = int(np.argmax(bad[:, j]))
                    raise InvalidParameter(
                        f"column {col['name']!r} has a missing value (NaN or null) at row "
                        f"{i}; this model does not accept missing values there")
        for j, col in enumerate(self.columns):
            if col["type"] in ("long", "integer"):
                values = arr[:, j]
                ok = np.isnan(values) | (values == np.floor(values))
                if not ok.all():
                    i = int(np.argmin(ok))
                    raise InvalidParameter(f"column {col['name']!r} takes integers; row {i} "
                                           f"has {values[i]!r}")

    def _find_bad_value(self, columns: list[str], data: Any) -> None:
        for i, row in enumerate(data):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool) or not isinstance(value, int | float):
                    col = columns[j]
                    typ = self.columns[self.names.index(col)]["type"] if col in self.names \
                        else "a number"
                    raise InvalidParameter(f"column {col!r} takes {typ}; row {i} has "
                                           f"{_short(value)}")

    def _frame(self, columns: dict[str, list[Any]], rows: int) -> Prepared:
        import pandas as pd

        out: dict[str, Any] = {}
        spec = {c["name"]: c for c in self.columns}
        for name, values in columns.items():
            col = spec.get(name)
            if col is None:
                out[name] = values
                continue
            out[name] = self._convert_column(col, values)
        frame = pd.DataFrame(out, columns=list(columns))
        return Prepared(frame, rows)

    def _convert_column(self, col: dict[str, Any], values: list[Any]) -> Any:
        name, typ = col["name"], col["type"]
        missing = [i for i, v in enumerate(values) if v is None or (isinstance(v, float)
                                                                    and v != v)]
        if missing and not col.get("nan", True):
            raise InvalidParameter(f"column {name!r} has a missing value (NaN or null) at row "
                                   f"{missing[0]}; this model does not accept missing values "
                                   "there")
        if typ in _NUMERIC:
            for i, v in enumerate(values):
                if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                    raise InvalidParameter(f"column {name!r} takes {typ}; row {i} has "
                                           f"{_short(v)}")
            arr = np.asarray(values, dtype=np.float64)
            if typ in ("long", "integer") and not missing:
                if not (arr == np.floor(arr)).all():
                    i = int(np.argmin(arr == np.floor(arr)))
                    raise InvalidParameter(f"column {name!r} takes integers; row {i} has "
                                           f"{values[i]!r}")
                return arr.astype(_NP[typ])
            return arr.astype(_NP[typ]) if typ == "float" else arr
        if typ == "boolean":
            for i, v in enumerate(values):
                if v is not None and not isinstance(v, bool):
                    raise InvalidParameter(f"column {name!r} takes booleans; row {i} has "
                                           f"{_short(v)}")
            return np.asarray(values, dtype=object if missing else np.bool_)
        if typ == "string":
            for i, v in enumerate(values):
                if v is not None and not isinstance(v, str):
                    raise InvalidParameter(f"column {name!r} takes strings; row {i} has "
                                           f"{_short(v)}")
            return np.asarray(values, dtype=object)
        return values

    # -- tensors ------------------------------------------------------------------------
    def from_tensor(self, data: Any) -> Prepared:
        """A (nested) list or array checked against the tensor signature."""
        if self.kind == "columns":
            if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
                return self.from_records(data)
            return self.from_split(None, data if isinstance(data, list) else
                                   np.asarray(data).tolist())
        dtype = self.dtype if self.dtype and self.dtype != "object" else None
        try:
            arr = np.asarray(data, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise InvalidParameter(f"input is not a regular array of {dtype or 'values'}: "
                                   f"{_first_line(exc)}") from None
        if arr.dtype == object and dtype is None and _ragged(data):
            raise InvalidParameter("input is a ragged array: rows have different lengths")
        self._check_shape(arr.shape)
        if not self.nan and arr.dtype.kind == "f" and np.isnan(arr).any():
            where = np.argwhere(np.isnan(arr))[0].tolist()
            raise InvalidParameter(f"the input has a missing value (NaN or null) at index "
                                   f"{where}; this model does not accept missing values")
        return Prepared(arr, arr.shape[0] if arr.ndim else 1)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if not self.shape:
            return
        want = list(self.shape)
        if len(shape) != len(want):
            raise InvalidParameter(f"input shape {list(shape)} does not match the signature "
                                   f"{want}: expected {len(want)} dimensions, got {len(shape)}")
        for i, (got, exp) in enumerate(zip(shape, want, strict=True)):
            if exp not in (-1, None) and got != exp:
                raise InvalidParameter(f"input shape {list(shape)} does not match the "
                                       f"signature {want}: dimension {i} must be {exp}, "
                                       f"got {got}")


def _ragged(data: Any) -> bool:
    return isinstance(data, list) and len({len(r) if isinstance(r, list) else -1
                                           for r in data}) > 1


def _show(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:8])
    return f"{len(names)} columns: {shown}" + (", ..." if len(names) > 8 else "")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
