"""`modelyard events`: the audit log."""

from __future__ import annotations


import click

from modelyard.cli.context import client
from modelyard.cli.formatting import change_cell
from modelyard.cli.output import as_json, emit_json, is_terminal, table, when


@click.command()
@click.option("--entity-type", default=None, help="model, version, alias, ...")
@click.option("--entity-id", default=None, help="e.g. fraud or fraud/3")
@click.option("--model", default=None,
              help="A model's events under every name it has had (versions and aliases too).")
@click.option("--type", "type_", default=None, help="Event type prefix, e.g. alias.")
@click.option("-n", "--max-results", default=50, show_default=True,
              help="Most items on one page.")
@click.option("--page-token", default=None,
              help="Continue where a previous page ended.")
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
            change_cell(e.before, e.after, is_terminal()))
           for e in page.items])
