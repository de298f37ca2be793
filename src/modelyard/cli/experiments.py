"""`modelyard experiments ...`: experiments, named groups of runs."""

from __future__ import annotations

import click

from modelyard.cli.context import client, deleted_filter, experiment_id
from modelyard.cli.models import parse_tags
from modelyard.cli.output import as_json, emit_json, next_page, show, table, when


@click.group()
def experiments() -> None:
    """Experiments: named groups of runs."""


@experiments.command("create")
@click.argument("name")
@click.option("-t", "--tag", "tags", multiple=True, metavar="KEY=VALUE",
              help="A tag; repeatable.")
@click.pass_context
def exp_create(ctx: click.Context, name: str, tags: tuple[str, ...]) -> None:
    """Create an experiment; prints its id."""
    e = client(ctx).create_experiment(name, parse_tags(tags))
    show(ctx, e.to_dict(), lambda: click.echo(e.experiment_id))


@experiments.command("list")
@click.option("-f", "--filter", "filter_", default=None, help="e.g. \"name LIKE 'fraud%'\"")
@click.option("-o", "--order-by", multiple=True, metavar="KEY [ASC|DESC]",
              help="Sort key, e.g. 'created_at DESC'; repeatable.")
@click.option("-n", "--max-results", default=100, show_default=True,
              help="Most items on one page.")
@click.option("--page-token", default=None,
              help="Continue where a previous page ended.")
@click.option("--deleted", is_flag=True, help="Only deleted experiments.")
@click.option("--all", "all_", is_flag=True, help="Active and deleted experiments.")
@click.pass_context
def exp_list(ctx: click.Context, filter_: str | None, order_by: tuple[str, ...],
             max_results: int, page_token: str | None, deleted: bool, all_: bool) -> None:
    """List or search experiments."""
    page = client(ctx).search_experiments(filter_, list(order_by), max_results, page_token,
                                          deleted_filter(deleted, all_))
    if as_json(ctx):
        emit_json({"experiments": [e.to_dict() for e in page.items],
                   "next_page_token": page.next_page_token})
        return
    table(["ID", "NAME", "STAGE", "TAGS", "CREATED"],
          [(e.experiment_id, e.name, e.lifecycle_stage,
            " ".join(f"{k}={v}" for k, v in e.tags.items()), when(e.created_at))
           for e in page.items])
    if page.next_page_token:
        next_page(page.next_page_token)


@experiments.command("show")
@click.argument("ref", metavar="ID|NAME")
@click.pass_context
def exp_show(ctx: click.Context, ref: str) -> None:
    """Show an experiment by id or name."""
    c = client(ctx)
    e = c.get_experiment(ref) if ref.isdigit() else c.get_experiment_by_name(ref)
    show(ctx, e.to_dict())


@experiments.command("rename")
@click.argument("ref", metavar="ID|NAME")
@click.argument("new_name")
@click.pass_context
def exp_rename(ctx: click.Context, ref: str, new_name: str) -> None:
    """Rename an experiment."""
    c = client(ctx)
    e = c.rename_experiment(experiment_id(c, ref), new_name)
    show(ctx, e.to_dict(), lambda: click.echo(f"renamed experiment {e.experiment_id} to {e.name}"))


@experiments.command("delete")
@click.argument("ref", metavar="ID|NAME")
@click.pass_context
def exp_delete(ctx: click.Context, ref: str) -> None:
    """Soft-delete an experiment (restorable; its runs stay for lineage)."""
    c = client(ctx)
    eid = experiment_id(c, ref)
    c.delete_experiment(eid)
    show(ctx, {"deleted": eid}, lambda: click.echo(f"deleted experiment {eid} (restorable)"))


@experiments.command("restore")
@click.argument("experiment_id")
@click.pass_context
def exp_restore(ctx: click.Context, experiment_id: str) -> None:
    """Restore a deleted experiment."""
    e = client(ctx).restore_experiment(experiment_id)
    show(ctx, e.to_dict(), lambda: click.echo(f"restored experiment {e.experiment_id}"))


@experiments.command("tag")
@click.argument("ref", metavar="ID|NAME")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_context
def exp_tag(ctx: click.Context, ref: str, pairs: tuple[str, ...]) -> None:
    """Set tags on an experiment."""
    c = client(ctx)
    eid = experiment_id(c, ref)
    for k, v in parse_tags(pairs, "each tag").items():
        c.set_experiment_tag(eid, k, v)
    show(ctx, {"experiment_id": eid, "tags": parse_tags(pairs, "each tag")},
         lambda: click.echo(f"tagged experiment {eid}"))
