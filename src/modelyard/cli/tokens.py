"""`modelyard tokens ...`: API tokens (``my_<id>_<secret>``; the secret is shown once)."""

from __future__ import annotations

import time
from typing import Any

import click

from modelyard.cli.context import client
from modelyard.cli.output import as_json, show, table, when
from modelyard.errors import ModelyardError


@click.group()
def tokens() -> None:
    """API tokens: send one as MODELYARD_TOKEN, Authorization: Bearer, or a Basic password."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. laptop.")
@click.option("--user", default=None, help="Whose token (default: yours; others: admin).")
@click.option("--expires", default=None, help="Lifetime, e.g. 90d, 12h, 1y (default: none).")
@click.option("--scope", type=click.Choice(["read", "write"]), default="write",
              show_default=True, help="read: only reads; write: whatever its user may do.")
@click.option("--clearml", "clearml", is_flag=True,
              help="Print the token as the api section of a clearml.conf for this server.")
@click.pass_context
def tokens_create(ctx: click.Context, name: str, user: str | None, expires: str | None,
                  scope: str, clearml: bool) -> None:
    """Create an API token; the secret is printed once and only its hash is kept."""
    c = client(ctx)
    uri = ctx.find_root().obj["client"].uri or ""
    if clearml and user is None and not as_json(ctx) and _open(c):
        # No user yet: there is no token to make, and the open registry takes any pair.
        click.echo("the registry is open (no user defined): it accepts any key pair, so "
                   "this one is a placeholder; once users exist, run this again with a "
                   "token (MODELYARD_TOKEN) for a real pair", err=True)
        click.echo(clearml_conf(uri, "open-mode", "any-secret"))
        return
    t = c.create_token(name, user=user, expires=expires, scope=scope)

    def human() -> None:
        if clearml:
            click.echo(f"created token {t.id} ({t.name}, {t.scope}) for {t.user}", err=True)
            click.echo(clearml_conf(uri, t.id, t.secret or ""))
            return
        click.echo(f"created token {t.id} ({t.name}, {t.scope}) for {t.user}", err=True)
        click.echo("token (shown once; keep it secret):", err=True)
        click.echo(t.secret)
    show(ctx, t.to_dict(), human)


def _open(c: Any) -> bool:
    """The registry has no user (its open mode)."""
    try:
        return not c.list_users()
    except ModelyardError:  # not allowed to list users: not the open mode's admin
        return False


def clearml_conf(uri: str, token_id: str, token: str) -> str:
    """The ``api`` section of a clearml.conf: access key = the token's id, secret key =
    its secret (the token without its ``my_<id>_`` head)."""
    base = uri.rstrip("/") if uri.startswith(("http://", "https://")) else \
        "http://127.0.0.1:5000"
    secret = token.split("_", 2)[2] if token.count("_") >= 2 else token
    return (f"api {{\n  api_server: {base}/clearml/api\n  web_server: {base}\n"
            f"  files_server: {base}/clearml/files\n  credentials {{\n"
            f'    "access_key" = "{token_id}"\n    "secret_key" = "{secret}"\n  }}\n}}\n'
            f"sdk {{\n  development {{\n    default_output_uri: {base}/clearml/files\n"
            # clearml 2.1 on Linux forks its reporter, which can hang task.close() when
            # the fork meets its own git probe (README, "Using the clearml SDK").
            f"    report_use_subprocess: false\n  }}\n}}")


@tokens.command("list")
@click.option("--user", default=None, help="Whose tokens (default: yours).")
@click.option("--all", "all_users", is_flag=True, help="Every user's (admin).")
@click.pass_context
def tokens_list(ctx: click.Context, user: str | None, all_users: bool) -> None:
    """List tokens (ids, names, scopes, expiry; never secrets)."""
    items = client(ctx).list_tokens(user, all_users=all_users)

    now = int(time.time() * 1000)

    def state(expires_at: int | None, revoked_at: int | None) -> str:
        if revoked_at:
            return "revoked"
        return "expired" if expires_at is not None and expires_at <= now else "active"

    show(ctx, {"tokens": [t.to_dict() for t in items]},
         lambda: table(["ID", "USER", "NAME", "SCOPE", "EXPIRES", "LAST USED", "STATE"],
                       [(t.id, t.user, t.name, t.scope, when(t.expires_at),
                         when(t.last_used_at), state(t.expires_at, t.revoked_at))
                        for t in items]))


@tokens.command("revoke")
@click.argument("token_id")
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: str) -> None:
    """Revoke a token by its id (or by the token itself)."""
    t = client(ctx).revoke_token(token_id)
    show(ctx, t.to_dict(), lambda: click.echo(f"revoked token {t.id} ({t.name}) of {t.user}"))
