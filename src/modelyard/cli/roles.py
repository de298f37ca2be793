"""`modelyard roles ...`: viewer < editor < maintainer < admin, per project or model."""

from __future__ import annotations

import click

from modelyard.cli.context import client
from modelyard.cli.output import show, table, when

ROLES = click.Choice(["viewer", "editor", "maintainer", "admin"])


def _where(project: str | None, model: str | None) -> str:
    return f"project {project}" if project else f"model {model}"


@click.group()
def roles() -> None:
    """Role grants to users and groups ('*': every authenticated user)."""


@roles.command("grant")
@click.argument("subject")
@click.argument("role", type=ROLES)
@click.option("--project", default=None, help="On this project (default: the default project).")
@click.option("--model", default=None, help="On this registered model instead of a project.")
@click.option("--group", is_flag=True, help="SUBJECT is a group (default: a user if one "
                                             "has that name, else a group).")
@click.pass_context
def roles_grant(ctx: click.Context, subject: str, role: str, project: str | None,
                model: str | None, group: bool) -> None:
    """Grant ROLE (viewer, editor, maintainer, admin) to SUBJECT, a user or a group
    ('*': every authenticated user), on a project or a model."""
    g = client(ctx).grant_role(subject, role, project=project, model=model, group=group)
    show(ctx, g.to_dict(), lambda: click.echo(
        f"granted {g.role} on {_where(g.project, g.model)} to {g.subject_kind} {g.subject}"))


@roles.command("revoke")
@click.argument("subject")
@click.option("--project", default=None, help="On this project (default: the default project).")
@click.option("--model", default=None, help="On this registered model instead of a project.")
@click.option("--group", is_flag=True, help="SUBJECT is a group.")
@click.pass_context
def roles_revoke(ctx: click.Context, subject: str, project: str | None, model: str | None,
                 group: bool) -> None:
    """Revoke the role SUBJECT holds on a project or a model."""
    client(ctx).revoke_role(subject, project=project, model=model, group=group)
    show(ctx, {"revoked": subject}, lambda: click.echo(
        f"revoked the role of {subject} on {_where(project, model)}"))


@roles.command("list")
@click.option("--user", default=None, help="Only the grants of this user (and its groups).")
@click.option("--project", default=None, help="Only grants on this project.")
@click.option("--model", default=None, help="Only grants on this registered model.")
@click.pass_context
def roles_list(ctx: click.Context, user: str | None, project: str | None,
               model: str | None) -> None:
    """List role grants."""
    items = client(ctx).list_grants(user=user, project=project, model=model)
    show(ctx, {"grants": [g.to_dict() for g in items]},
         lambda: table(["SUBJECT", "KIND", "ROLE", "ON", "GRANTED", "BY"],
                       [(g.subject, g.subject_kind, g.role, _where(g.project, g.model),
                         when(g.created_at), g.created_by) for g in items]))
