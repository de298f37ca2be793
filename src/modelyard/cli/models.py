"""`modelyard models ...`"""

from __future__ import annotations

import click

from modelyard.cli.context import client, parse_pairs
from modelyard.cli.output import as_json, emit_json, next_page, show, table, when


def parse_tags(pairs: tuple[str, ...], option: str = "--tag") -> dict[str, str]:
    return parse_pairs(pairs, option)


@click.group()
def models() -> None:
    """Registered models."""


@models.command("create")
@click.argument("name")
@click.option("-d", "--description", default="", help="Free text.")
@click.option("-t", "--tag", "tags", multiple=True, metavar="KEY=VALUE",
              help="A tag; repeatable.")
@click.option("--project", default="default", show_default=True,
              help="Project the model belongs to (permissions and listing).")
@click.pass_context
def create(ctx: click.Context, name: str, description: str, tags: tuple[str, ...],
           project: str) -> None:
    """Create a registered model."""
    m = client(ctx).create_model(name, description, parse_tags(tags), project)
    show(ctx, m.to_dict(), lambda: click.echo(f"created model {m.name}"))


@models.command("list")
@click.option("-f", "--filter", "filter_", default=None, help="e.g. \"name LIKE 'fraud%'\"")
@click.option("-o", "--order-by", multiple=True, metavar="KEY [ASC|DESC]",
              help="Sort key, e.g. 'created_at DESC'; repeatable.")
@click.option("-n", "--max-results", default=100, show_default=True,
              help="Most items on one page.")
@click.option("--page-token", default=None,
              help="Continue where a previous page ended.")
@click.option("--deleted", is_flag=True, help="List soft-deleted models.")
@click.option("--kind", type=click.Choice(["model", "prompt", "all"]), default="model",
              show_default=True, help="Models, MLflow prompts, or both.")
@click.pass_context
def list_(ctx: click.Context, filter_: str | None, order_by: tuple[str, ...], max_results: int,
          page_token: str | None, deleted: bool, kind: str) -> None:
    """List or search registered models (MLflow prompts only with --kind)."""
    page = client(ctx).search_models(filter_, list(order_by), max_results, page_token, deleted,
                                     kind)
    if as_json(ctx):
        emit_json({"models": [m.to_dict() for m in page.items],
                   "next_page_token": page.next_page_token})
        return
    table(["NAME", "LATEST", "ALIASES", "TAGS", "UPDATED"],
          [(m.name, m.latest_version, " ".join(f"@{a}={v}" for a, v in m.aliases.items()),
            " ".join(f"{k}={v}" for k, v in m.tags.items()), when(m.updated_at))
           for m in page.items])
    if page.next_page_token:
        next_page(page.next_page_token)


@models.command("show")
@click.argument("name")
@click.pass_context
def show_(ctx: click.Context, name: str) -> None:
    """Show a registered model."""
    show(ctx, client(ctx).get_model(name).to_dict())


@models.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.pass_context
def rename(ctx: click.Context, name: str, new_name: str) -> None:
    """Rename a registered model."""
    m = client(ctx).rename_model(name, new_name)
    show(ctx, m.to_dict(), lambda: click.echo(f"renamed {name} to {m.name}"))


@models.command("describe")
@click.argument("name")
@click.argument("description")
@click.pass_context
def describe(ctx: click.Context, name: str, description: str) -> None:
    """Set the description of a registered model."""
    m = client(ctx).update_model(name, description)
    show(ctx, m.to_dict(), lambda: click.echo(f"updated {name}"))


@models.command("tag")
@click.argument("name")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_context
def tag(ctx: click.Context, name: str, pairs: tuple[str, ...]) -> None:
    """Set tags on a registered model."""
    c = client(ctx)
    for k, v in parse_tags(pairs, "each tag").items():
        c.set_model_tag(name, k, v)
    show(ctx, {"model": name, "tags": parse_tags(pairs, "each tag")}, lambda: click.echo(f"tagged {name}"))


@models.command("untag")
@click.argument("name")
@click.argument("keys", nargs=-1, required=True)
@click.pass_context
def untag(ctx: click.Context, name: str, keys: tuple[str, ...]) -> None:
    """Remove tags from a registered model."""
    for k in keys:
        client(ctx).delete_model_tag(name, k)
    show(ctx, {"model": name, "removed": list(keys)}, lambda: click.echo(f"untagged {name}"))


@models.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Soft-delete a registered model (restorable until garbage collection)."""
    client(ctx).delete_model(name)
    show(ctx, {"deleted": name}, lambda: click.echo(f"deleted model {name} (restorable)"))


@models.command("restore")
@click.argument("name")
@click.pass_context
def restore(ctx: click.Context, name: str) -> None:
    """Restore a soft-deleted registered model."""
    m = client(ctx).restore_model(name)
    show(ctx, m.to_dict(), lambda: click.echo(f"restored model {name}"))
