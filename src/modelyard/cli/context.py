"""What every command module shares: the client of the invocation (built on first use)
and the small helpers that turn command-line references into ids.  ``main.py`` and the
command modules both import this module, never each other."""

from __future__ import annotations

import click

from modelyard.cli.failures import BadUsage
from modelyard.client.base import BaseClient


#: Commands that only read: on a local registry that does not exist they fail with
#: ``no registry at URI`` rather than create an empty one.  Every other command may
#: create the registry (and says so on stderr).
READ_COMMANDS = frozenset({
    "list", "show", "files", "cat", "download", "search", "versions", "history",
    "artifacts", "compare", "events", "lineage", "serve", "gc", "audit", "deliveries",
})


class Lazy:
    """The client, built on first use so `modelyard --help` and `server` stay fast."""

    def __init__(self, uri: str | None) -> None:
        self.uri = uri
        self._client: BaseClient | None = None

    def get(self, write: bool = True) -> BaseClient:
        if self._client is None:
            from modelyard.client import Client
            from modelyard.client.uri import check_uri, local_database
            from modelyard.config import client_uri_from_env

            uri = self.uri or client_uri_from_env()
            check_uri(uri)
            database = local_database(uri)
            new = database is not None and not database.exists()
            self._client = Client(uri, create=write)
            if new:
                click.echo(f"created a new registry at {uri}", err=True)
        return self._client


def client(ctx: click.Context) -> BaseClient:
    """The client of this invocation (``--uri`` / ``$MODELYARD_URI``); a read-only
    command (see :data:`READ_COMMANDS`) never creates a local registry."""
    lazy: Lazy = ctx.find_root().obj["client"]
    return lazy.get(write=ctx.info_name not in READ_COMMANDS)


def experiment_id(c: BaseClient, ref: str) -> str:
    """An experiment given by id or by name."""
    return ref if ref.isdigit() else c.get_experiment_by_name(ref).experiment_id


def run_id(c: BaseClient, text: str) -> str:
    """A run id, or a unique prefix of one (as git takes commits)."""
    return text if len(text) >= 32 else c.resolve_id("run", text)


def deployment_id(c: BaseClient, text: str) -> str:
    """A deployment id, or a unique prefix of one."""
    return text if len(text) >= 32 else c.resolve_id("deployment", text)


def deleted_filter(deleted: bool, all_: bool) -> bool | None:
    """``--deleted`` / ``--all`` as the ``deleted`` argument of a search (None: both)."""
    return None if all_ else deleted


def parse_pairs(pairs: tuple[str, ...], option: str = "--tag") -> dict[str, str]:
    """``KEY=VALUE`` arguments as a dict; a malformed one is a usage error naming ``option``."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadUsage(f"{option} expects KEY=VALUE, not {pair!r}")
        out[key] = value
    return out


def parse_numbers(pairs: tuple[str, ...], option: str = "--metric") -> dict[str, float]:
    """``KEY=NUMBER`` arguments as a dict of floats."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            if not sep or not key:
                raise ValueError(pair)
            out[key] = float(value)
        except ValueError:
            raise BadUsage(f"{option} expects KEY=NUMBER, not {pair!r}") from None
    return out


def short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."
