"""Progress bars on transfers (stderr, only on a terminal and without --json)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from modelyard.cli.output import as_json, err_console


@contextmanager
def transfer(ctx: click.Context, total: int, label: str) -> Iterator[Callable[[int], None] | None]:
    if as_json(ctx) or not err_console.is_terminal:
        yield None
        return
    lock = threading.Lock()
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=err_console,
                  transient=True) as bar:
        task = bar.add_task(label, total=total or None)

        def advance(n: int) -> None:
            with lock:
                bar.advance(task, n)

        yield advance
