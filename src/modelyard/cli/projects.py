"""`modelyard projects ...`: namespaces for models."""

from __future__ import annotations

import click

from modelyard.cli.context import client
from modelyard.cli.output import show, table, when


@click.group()
def projects() -> None:
    """Projects: namespaces for models."""


@projects.command("list")
@click.pass_context
def projects_list(ctx: click.Context) -> None:
    """List projects."""
    items = client(ctx).list_projects()
    show(ctx, {"projects": [p.to_dict() for p in items]},
         lambda: table(["NAME", "DESCRIPTION", "CREATED"],
                       [(p.name, p.description, when(p.created_at)) for p in items]))


@projects.command("create")
@click.argument("name")
@click.option("-d", "--description", default="", help="Free text.")
@click.pass_context
def projects_create(ctx: click.Context, name: str, description: str) -> None:
    """Create a project: a group of models, experiments and datasets for permissions and
    listing (names stay globally unique)."""
    p = client(ctx).create_project(name, description)
    show(ctx, p.to_dict(), lambda: click.echo(f"created project {p.name}"))
