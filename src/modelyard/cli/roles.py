"""`modelyard roles ...`: viewer < editor < maintainer < admin, per project, model or
experiment."""

from __future__ import annotations

import click

from modelyard.cli.context import client
from modelyard.cli.output import show, table, when

ROLES = click.Choice(["viewer", "editor", "maintainer", "admin"])


def _where(project: str | None, model: str | None, experiment: str | None = None) -> str:
    if experiment:
        return f"experiment {experiment}"
    return f"project {project}" if project else f"model {model}"


@click.group()
def roles() -> None:
    """Role grants to users and groups ('*': every authenticated user)."""


@roles.command("grant")
@click.argument("subject")
@click.argument("role", type=ROLES)
@click.option("--project", default=None, help="On this project (default: the default project).")
@click.option("--model", default=None, help="On this registered model instead of a project.")
@click.option("--experiment", default=None, metavar="ID",
              help="On this experiment (by id) instead of a project.")
@click.option("--group", is_flag=True, help="SUBJECT is a group (default: a user if one "
                                             "has that name, else a group).")
@click.pass_context
def roles_grant(ctx: click.Context, subject: str, role: str, project: str | None,
                model: str | None, experiment: str | None, group: bool) -> None:
    """Grant ROLE (viewer, editor, maintainer, admin) to SUBJECT, a user or a group
    ('*': every authenticated user), on a project, a model or an experiment."""
    g = client(ctx).grant_role(subject, role, project=project, model=model, group=group,
                               experiment=experiment)
    show(ctx, g.to_dict(), lambda: click.echo(
        f"granted {g.role} on {_where(g.project, g.model, g.experiment)} to "
        f"{g.subject_kind} {g.subject}"))


@roles.command("revoke")
@click.argument("subject")
@click.option("--project", default=None, help="On this project (default: the default project).")
@click.option("--model", default=None, help="On this registered model instead of a project.")
@click.option("--experiment", default=None, metavar="ID",
              help="On this experiment (by id) instead of a project.")
@click.option("--group", is_flag=True, help="SUBJECT is a group.")
@click.pass_context
def roles_revoke(ctx: click.Context, subject: str, project: str | None, model: str | None,
                 experiment: str | None, group: bool) -> None:
    """Revoke the role SUBJECT holds on a project, a model or an experiment."""
    client(ctx).revoke_role(subject, project=project, model=model, group=group,
                            experiment=experiment)
    show(ctx, {"revoked": subject}, lambda: click.echo(
        f"revoked the role of {subject} on {_where(project, model, experiment)}"))


@roles.command("list")
@click.option("--user", default=None, help="Only the grants of this user (and its groups).")
@click.option("--project", default=None, help="Only grants on this project.")
@click.option("--model", default=None, help="Only grants on this registered model.")
@click.option("--experiment", default=None, metavar="ID",
              help="Only grants on this experiment (by id).")
@click.pass_context
def roles_list(ctx: click.Context, user: str | None, project: str | None,
               model: str | None, experiment: str | None) -> None:
    """List role grants."""
    items = client(ctx).list_grants(user=user, project=project, model=model,
                                    experiment=experiment)
    show(ctx, {"grants": [g.to_dict() for g in items]},
         lambda: table(["SUBJECT", "KIND", "ROLE", "ON", "GRANTED", "BY"],
                       [(g.subject, g.subject_kind, g.role, _where(g.project, g.model, g.experiment),
                         when(g.created_at), g.created_by) for g in items]))
