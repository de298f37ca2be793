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


@contextmanager
def hash_then_upload(ctx: click.Context, total: int) -> Iterator[
        tuple[Callable[[int], None] | None, Callable[[int], None] | None]]:
    """Two bars over the same bytes: hashing (before anything is sent), then upload."""
    if as_json(ctx) or not err_console.is_terminal:
        yield None, None
        return
    lock = threading.Lock()
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=err_console,
                  transient=True) as bar:
        hashing = bar.add_task("hash", total=total or None)
        upload = bar.add_task("upload", total=total or None, start=False)

        def hashed(n: int) -> None:
            with lock:
                bar.advance(hashing, n)

        def sent(n: int) -> None:
            with lock:
                if not bar.tasks[upload].started:
                    bar.start_task(upload)
                bar.advance(upload, n)

        yield hashed, sent
