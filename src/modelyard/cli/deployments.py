"""`modelyard deployments ...`: where model versions are served."""

from __future__ import annotations

import click

from modelyard.cli.context import client, deployment_id as full_id
from modelyard.cli.output import show, table, when


@click.group()
def deployments() -> None:
    """Deployments: where model versions are served."""


@deployments.command("record")
@click.argument("ref", metavar="MODEL/VERSION|MODEL@ALIAS")
@click.argument("endpoint")
@click.option("-e", "--environment", default="",
              help="Where it runs, e.g. production or eu-west.")
@click.pass_context
def dep_record(ctx: click.Context, ref: str, endpoint: str, environment: str) -> None:
    """Record that a version is served at ENDPOINT; prints the deployment id."""
    c = client(ctx)
    v = c.resolve(ref, files=False)
    d = c.record_deployment(v.model, v.version, endpoint, environment)
    show(ctx, d.to_dict(), lambda: click.echo(d.id))


@deployments.command("end")
@click.argument("deployment_id", metavar="ID")
@click.pass_context
def dep_end(ctx: click.Context, deployment_id: str) -> None:
    """Record that a deployment ended (ID: the id or a unique prefix of it)."""
    c = client(ctx)
    d = c.end_deployment(full_id(c, deployment_id))
    show(ctx, d.to_dict(), lambda: click.echo(f"ended deployment {d.id}"))


@deployments.command("list")
@click.option("--model", default=None, help="Only deployments of this model.")
@click.option("--all", "all_", is_flag=True, help="Include ended deployments.")
@click.pass_context
def dep_list(ctx: click.Context, model: str | None, all_: bool) -> None:
    """Active deployments (--all: ended ones too)."""
    items = client(ctx).list_deployments(model, None, not all_)
    show(ctx, {"deployments": [d.to_dict() for d in items]}, lambda: table(
        ["ID", "MODEL", "VERSION", "ENDPOINT", "ENVIRONMENT", "SINCE", "ENDED"],
        [(d.id, d.model, d.version, d.endpoint, d.environment, when(d.started_at),
          when(d.ended_at)) for d in items]))


@deployments.command("show")
@click.argument("deployment_id", metavar="ID")
@click.pass_context
def dep_show(ctx: click.Context, deployment_id: str) -> None:
    """Show a deployment (ID: the id or a unique prefix of it)."""
    c = client(ctx)
    show(ctx, c.get_deployment(full_id(c, deployment_id)).to_dict())
