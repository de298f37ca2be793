"""What every command module shares: the client of the invocation (built on first use)
and the small helpers that turn command-line references into ids.  ``main.py`` and the
command modules both import this module, never each other."""

from __future__ import annotations

import click

from modelyard.client.base import BaseClient


class Lazy:
    """The client, built on first use so `modelyard --help` and `server` stay fast."""

    def __init__(self, uri: str | None) -> None:
        self.uri = uri
        self._client: BaseClient | None = None

    def get(self) -> BaseClient:
        if self._client is None:
            from modelyard.client import Client

            self._client = Client(self.uri)
        return self._client


def client(ctx: click.Context) -> BaseClient:
    """The client of this invocation (``--uri`` / ``$MODELYARD_URI``)."""
    lazy: Lazy = ctx.find_root().obj["client"]
    return lazy.get()


def experiment_id(c: BaseClient, ref: str) -> str:
    """An experiment given by id or by name."""
    return ref if ref.isdigit() else c.get_experiment_by_name(ref).experiment_id


def deleted_filter(deleted: bool, all_: bool) -> bool | None:
    """``--deleted`` / ``--all`` as the ``deleted`` argument of a search (None: both)."""
    return None if all_ else deleted


def short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."
