"""`modelyard projects ...`: groups of models for permissions and listing."""

from __future__ import annotations

import click

from modelyard.cli.context import client
from modelyard.cli.output import show, table, when


@click.group()
def projects() -> None:
    """Projects: groups of models for permissions and listing.

    A model belongs to one project (`models create --project NAME`; else "default");
    lists filter on it (`models list --filter "project = 'NAME'"`), and it is the unit
    that access rules are granted on (per-project roles are not enforced yet).  A
    project is not a namespace: model names stay unique across all projects, as
    MLflow's are, so `cats` exists once whatever its project."""


@projects.command("list")
@click.pass_context
def projects_list(ctx: click.Context) -> None:
    """List the projects (the "default" one appears with its first model)."""
    items = client(ctx).list_projects()
    show(ctx, {"projects": [p.to_dict() for p in items]},
         lambda: table(["NAME", "DESCRIPTION", "CREATED"],
                       [(p.name, p.description, when(p.created_at)) for p in items]))


@projects.command("create")
@click.argument("name")
@click.option("-d", "--description", default="", help="What the project is for.")
@click.pass_context
def projects_create(ctx: click.Context, name: str, description: str) -> None:
    """Create a project NAME to group models in (names are unique across projects)."""
    p = client(ctx).create_project(name, description)
    show(ctx, p.to_dict(), lambda: click.echo(f"created project {p.name}"))
