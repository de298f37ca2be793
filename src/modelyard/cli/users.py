"""`modelyard users ...` and `modelyard service-accounts ...`."""

from __future__ import annotations

import sys

import click

from modelyard.cli.context import client
from modelyard.cli.output import show, table, when
from modelyard.domain.access_records import User


def _read_password() -> str:
    """The first line of stdin (``--password-stdin``), without its line ending."""
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _created(ctx: click.Context, user: User) -> None:
    def human() -> None:
        what = "service account" if user.kind == "service" else "user"
        click.echo(f"created {what} {user.name}" + (" (admin)" if user.is_admin else ""))
        if user.token:
            click.echo("token (shown once; keep it secret):", err=True)
            click.echo(user.token)
    show(ctx, user.to_dict(), human)


@click.group()
def users() -> None:
    """Users: people who sign in with a password or a token."""


@users.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--admin", is_flag=True, help="A registry admin (the first user must be one).")
@click.option("--group", "groups", multiple=True, help="A group of the user; repeatable.")
@click.option("--token/--no-token", "with_token", default=None,
              help="Also create a token, printed once (default: for the first user).")
@click.pass_context
def users_create(ctx: click.Context, name: str, password_stdin: bool, admin: bool,
                 groups: tuple[str, ...], with_token: bool | None) -> None:
    """Create a user.  The first one must be an admin and ends the open mode."""
    password = _read_password() if password_stdin else None
    user = client(ctx).create_user(name, password=password, admin=admin,
                                   groups=list(groups), with_token=with_token)
    _created(ctx, user)


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """List users and service accounts."""
    items = client(ctx).list_users()
    show(ctx, {"users": [u.to_dict() for u in items]},
         lambda: table(["NAME", "KIND", "ADMIN", "DISABLED", "GROUPS", "CREATED"],
                       [(u.name, u.kind, "yes" if u.is_admin else "", "yes" if u.disabled else "",
                         ",".join(u.groups), when(u.created_at)) for u in items]))


@users.command("disable")
@click.argument("name")
@click.pass_context
def users_disable(ctx: click.Context, name: str) -> None:
    """Disable a user: every credential of it stops working."""
    u = client(ctx).update_user(name, disabled=True)
    show(ctx, u.to_dict(), lambda: click.echo(f"disabled {u.name}"))


@users.command("enable")
@click.argument("name")
@click.pass_context
def users_enable(ctx: click.Context, name: str) -> None:
    """Enable a disabled user again."""
    u = client(ctx).update_user(name, disabled=False)
    show(ctx, u.to_dict(), lambda: click.echo(f"enabled {u.name}"))


@users.command("set-password")
@click.argument("name")
@click.pass_context
def users_set_password(ctx: click.Context, name: str) -> None:
    """Change a password, read from stdin."""
    u = client(ctx).update_user(name, password=_read_password())
    show(ctx, u.to_dict(), lambda: click.echo(f"password of {u.name} changed"))


@users.command("set-groups")
@click.argument("name")
@click.argument("groups", nargs=-1)
@click.pass_context
def users_set_groups(ctx: click.Context, name: str, groups: tuple[str, ...]) -> None:
    """Set the groups of a user (none given: no groups)."""
    u = client(ctx).update_user(name, groups=list(groups))
    show(ctx, u.to_dict(), lambda: click.echo(f"groups of {u.name}: {', '.join(u.groups)}"))


@users.command("delete")
@click.argument("name")
@click.pass_context
def users_delete(ctx: click.Context, name: str) -> None:
    """Delete a user, its tokens and its grants."""
    client(ctx).delete_user(name)
    show(ctx, {"deleted": name}, lambda: click.echo(f"deleted {name}"))


@click.group("service-accounts")
def service_accounts() -> None:
    """Service accounts: non-human users that only have tokens."""


@service_accounts.command("create")
@click.argument("name")
@click.option("--group", "groups", multiple=True, help="A group of the account; repeatable.")
@click.option("--token/--no-token", "with_token", default=True,
              help="Also create a token, printed once (default: yes).")
@click.pass_context
def service_accounts_create(ctx: click.Context, name: str, groups: tuple[str, ...],
                            with_token: bool) -> None:
    """Create a service account (a user with tokens and no password), e.g. for CI."""
    user = client(ctx).create_user(name, kind="service", groups=list(groups),
                                   with_token=with_token)
    _created(ctx, user)
