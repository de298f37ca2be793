"""Printing for the CLI: JSON for scripts, tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, UTC
from typing import Any

import click
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def as_json(ctx: click.Context) -> bool:
    return bool(ctx.find_root().obj.get("json"))


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if v is None else str(v) for v in r))
    console.print(t)


def show(ctx: click.Context, data: Any, human: Any = None) -> None:
    """Print ``data`` as JSON under --json, else call ``human`` (or print key: value)."""
    if as_json(ctx):
        emit_json(data)
    elif human is not None:
        human()
    elif isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, (dict, list)):
                v = json.dumps(v) if v else ""
            console.print(f"[bold]{k}[/bold]: {v}", highlight=False)
    else:
        console.print(str(data), highlight=False)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
