"""Cheap profiles of tabular files a client is about to register as a dataset.

CSV (stdlib ``csv``, one streaming pass): columns with an inferred type (integer,
float, string), null count, min/max/mean for numbers, and the row count.  Parquet
(``pyarrow`` if installed): schema and row count from the footer, min/max/null
count from the row-group statistics, without reading the data pages.  Other files
are listed by digest only.  Runs where the bytes are, never on the server.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from modelyard.domain.entities import FileEntry

MAX_COLUMNS = 500


def profile_files(files: list[tuple[FileEntry, Path]]) -> dict[str, Any] | None:
    """One profile for a dataset: per-file profiles, plus totals for the tabular ones."""
    tables = {}
    for entry, path in files:
        suffix = path.suffix.lower()
        try:
            if suffix in (".csv", ".tsv"):
                tables[entry.path] = profile_csv(path, "\t" if suffix == ".tsv" else ",")
            elif suffix in (".parquet", ".pq"):
                prof = profile_parquet(path)
                if prof is not None:
                    tables[entry.path] = prof
        except (OSError, UnicodeDecodeError, csv.Error, ValueError):
            continue  # not the table its name promised: digests only
    if not tables:
        return None
    first = next(iter(tables.values()))
    out: dict[str, Any] = {"rows": sum(t["rows"] for t in tables.values()),
                           "columns": first["columns"], "schema": first["schema"]}
    if len(tables) > 1:
        out["files"] = tables
    return out


def profile_csv(path: Path, delimiter: str = ",") -> dict[str, Any]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None) or []
        header = header[:MAX_COLUMNS]
        stats = [_ColumnStats() for _ in header]
        rows = 0
        for row in reader:
            rows += 1
            for stat, cell in zip(stats, row, strict=False):
                stat.add(cell)
    columns = [s.result(name) for name, s in zip(header, stats, strict=True)]
    return {"format": "csv", "rows": rows, "columns": columns,
            "schema": {c["name"]: c["type"] for c in columns}}


class _ColumnStats:
    def __init__(self) -> None:
        self.kind = "integer"
        self.nulls = 0
        self.count = 0
        self.total = 0.0
        self.min: float | None = None
        self.max: float | None = None
        self.distinct: set[str] | None = set()

    def add(self, cell: str) -> None:
        if cell == "" or cell.upper() in ("NA", "NAN", "NULL", "NONE"):
            self.nulls += 1
            return
        self.count += 1
        if self.distinct is not None:
            self.distinct.add(cell)
            if len(self.distinct) > 1000:
                self.distinct = None
        if self.kind == "string":
            return
        try:
            value = float(int(cell)) if self.kind == "integer" else float(cell)
        except ValueError:
            try:
                value = float(cell)
                self.kind = "float"
            except ValueError:
                self.kind = "string"
                return
        if math.isnan(value):
            return
        self.total += value
        self.min = value if self.min is None else min(self.min, value)
        self.max = value if self.max is None else max(self.max, value)

    def result(self, name: str) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "type": self.kind, "nulls": self.nulls,
                               "count": self.count,
                               "distinct": len(self.distinct) if self.distinct is not None
                               else ">1000"}
        if self.kind != "string" and self.count:
            out.update(min=self.min, max=self.max, mean=self.total / self.count)
        return out


def profile_parquet(path: Path) -> dict[str, Any] | None:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    meta = pq.ParquetFile(path).metadata
    schema = meta.schema.to_arrow_schema()
    columns = []
    for i, fld in enumerate(schema):
        if i >= MAX_COLUMNS:
            break
        col: dict[str, Any] = {"name": fld.name, "type": str(fld.type), "nulls": 0}
        mins, maxs = [], []
        for rg in range(meta.num_row_groups):
            st = meta.row_group(rg).column(i).statistics
            if st is None:
                continue
            if st.has_null_count:
                col["nulls"] += st.null_count
            if st.has_min_max:
                mins.append(st.min)
                maxs.append(st.max)
        if mins:
            try:
                col["min"], col["max"] = _plain(min(mins)), _plain(max(maxs))
            except TypeError:
                pass
        columns.append(col)
    return {"format": "parquet", "rows": meta.num_rows, "columns": columns,
            "schema": {c["name"]: c["type"] for c in columns}}


def _plain(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
