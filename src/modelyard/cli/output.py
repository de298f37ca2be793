"""Printing for the CLI: JSON for scripts, tables and ``key: value`` records for people.

Two audiences, decided by where stdout goes:

- a terminal gets rich tables that fit the width: id, digest and name columns are never
  wrapped or cut (they are copied into other commands), every other column folds;
- a pipe or a file gets every value whole, tab-separated, one row a line under one
  header line, so ``cut -f``, ``awk -F'\\t'`` and ``sort`` work.

``--json`` prints the API's shapes in either case.  Values are formatted in
``formatting.py``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from modelyard.cli.formatting import cell, human_size, record_lines, tsv_field, when

__all__ = ["as_json", "console", "emit_json", "err_console", "human_size", "is_terminal",
           "next_page", "record", "show", "table", "when"]

console = Console()
err_console = Console(stderr=True)

# Columns never folded on a terminal: values copied into other commands, and short ones
# (times to the minute, numbers) that read badly folded.  The others fold to fit.
WHOLE = ("ID", "RUN ID", "SHA256", "DIGEST", "TYPE", "VERSION", "LATEST", "SIZE", "FILES", "STEP",
         "TIME", "CREATED", "UPDATED", "STARTED", "SINCE", "ENDED")


def as_json(ctx: click.Context) -> bool:
    obj = ctx.find_root().obj or {}
    return bool(obj.get("json"))


def is_terminal() -> bool:
    return console.is_terminal


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]],
          whole: Sequence[str] = WHOLE) -> None:
    """Rows under a header: a folded rich table on a terminal, TSV elsewhere."""
    if not is_terminal():
        click.echo("\t".join(columns))
        for r in rows:
            click.echo("\t".join(tsv_field(cell(v)) for v in r))
        return
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for c in columns:
        if c in whole:
            t.add_column(c, no_wrap=True, overflow="ignore")
        else:
            t.add_column(c, overflow="fold", min_width=min(len(c), 8))
    for r in rows:
        t.add_row(*(escape(cell(v, narrow=True)) for v in r))
    console.print(t, highlight=False)


def next_page(token: str | None) -> None:
    """Where the next page starts, on stderr so that stdout stays rows only."""
    if token:
        click.echo(f"next page: --page-token {token}", err=True)


def record(data: Mapping[str, Any]) -> None:
    """One entity as ``key: value`` lines: the layout of every ``show`` command."""
    for line in record_lines(data):
        click.echo(line)


def show(ctx: click.Context, data: Any, human: Callable[[], None] | None = None) -> None:
    """Print ``data`` as JSON under --json, else call ``human`` (or print its record)."""
    if as_json(ctx):
        emit_json(data)
    elif human is not None:
        human()
    elif isinstance(data, Mapping):
        record(data)
    else:
        click.echo(str(data))


def files_count(count: int) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} file" if count == 1 else f"{count} files"
