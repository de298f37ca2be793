"""`modelyard events`, `modelyard gc`, `modelyard projects`."""

from __future__ import annotations

import json

import click

from modelyard.cli.main import client
from modelyard.cli.output import as_json, emit_json, human_size, show, table, when


@click.command()
@click.option("--entity-type", default=None, help="model, version, alias, ...")
@click.option("--entity-id", default=None, help="e.g. fraud or fraud/3")
@click.option("--model", default=None,
              help="A model's events under every name it has had (versions and aliases too).")
@click.option("--type", "type_", default=None, help="Event type prefix, e.g. alias.")
@click.option("-n", "--max-results", default=50, show_default=True)
@click.option("--page-token", default=None)
@click.pass_context
def events(ctx: click.Context, entity_type: str | None, entity_id: str | None,
           model: str | None, type_: str | None, max_results: int,
           page_token: str | None) -> None:
    """The audit log: every change, newest first."""
    page = client(ctx).list_events(entity_type=entity_type, entity_id=entity_id, model=model,
                                   type=type_,
                                   max_results=max_results, page_token=page_token,
                                   newest_first=True)
    if as_json(ctx):
        emit_json({"events": [e.to_dict() for e in page.items],
                   "next_page_token": page.next_page_token})
        return
    table(["ID", "TIME", "ACTOR", "TYPE", "ENTITY", "CHANGE"],
          [(e.id, when(e.time), e.actor, e.type, e.entity_id,
            json.dumps({k: v for k, v in (("before", e.before), ("after", e.after)) if v}))
           for e in page.items])


@click.command()
@click.option("--dry-run", is_flag=True, help="Report what would be removed.")
@click.option("--grace-seconds", type=int, default=None,
              help="Only collect what is older than this (default: the server setting).")
@click.pass_context
def gc(ctx: click.Context, dry_run: bool, grace_seconds: int | None) -> None:
    """Remove soft-deleted entries and the blobs nothing references any more."""
    report = client(ctx).gc(dry_run=dry_run, grace_seconds=grace_seconds)
    show(ctx, report, lambda: click.echo(
        f"{'would remove' if dry_run else 'removed'} {report['versions_purged']} versions, "
        f"{report['models_purged']} models, {report['blobs_deleted']} blobs "
        f"({human_size(report['bytes_freed'])})"))


@click.group()
def projects() -> None:
    """Projects: namespaces for models."""


@projects.command("list")
@click.pass_context
def projects_list(ctx: click.Context) -> None:
    items = client(ctx).list_projects()
    show(ctx, {"projects": [p.to_dict() for p in items]},
         lambda: table(["NAME", "DESCRIPTION", "CREATED"],
                       [(p.name, p.description, when(p.created_at)) for p in items]))


@projects.command("create")
@click.argument("name")
@click.option("-d", "--description", default="")
@click.pass_context
def projects_create(ctx: click.Context, name: str, description: str) -> None:
    p = client(ctx).create_project(name, description)
    show(ctx, p.to_dict(), lambda: click.echo(f"created project {p.name}"))
