"""`modelyard webhooks ...`: subscriptions to the event log, delivered over HTTP."""

from __future__ import annotations

import sys

import click

from modelyard.cli.context import client
from modelyard.cli.output import as_json, emit_json, show, table, when


@click.group()
def webhooks() -> None:
    """Webhooks: the registry POSTs signed events to your URL (see the README)."""


@webhooks.command("create")
@click.option("--url", required=True, help="Where to POST events (http:// or https://).")
@click.option("--events", required=True,
              help="Comma-separated event names, e.g. model_version.created,alias.moved.")
@click.option("--project", default=None,
              help="Only this project's events (default: every project; admin only).")
@click.option("--secret-stdin", is_flag=True,
              help="Read the signing secret from standard input (one line).")
@click.option("--description", default="", help="What the webhook is for.")
@click.option("--name", default="", help="A short name for the webhook.")
@click.pass_context
def webhooks_create(ctx: click.Context, url: str, events: str, project: str | None,
                    secret_stdin: bool, description: str, name: str) -> None:
    """Create a webhook; deliveries are signed when it has a secret."""
    secret = sys.stdin.readline().rstrip("\r\n") if secret_stdin else None
    names = [e.strip() for e in events.split(",") if e.strip()]
    w = client(ctx).create_webhook(url, names, project=project, secret=secret,
                                   description=description, name=name)
    show(ctx, w.to_dict(), lambda: click.echo(f"created webhook {w.id} -> {w.url}"))


@webhooks.command("list")
@click.pass_context
def webhooks_list(ctx: click.Context) -> None:
    """The webhooks you may manage."""
    found = client(ctx).list_webhooks()
    if as_json(ctx):
        emit_json({"webhooks": [w.to_dict() for w in found]})
        return
    table(["ID", "URL", "PROJECT", "EVENTS", "STATUS", "SIGNED"],
          [(w.id, w.url, w.project or "*", ",".join(w.events), w.status,
            "yes" if w.has_secret else "no") for w in found])


@webhooks.command("delete")
@click.argument("webhook_id")
@click.pass_context
def webhooks_delete(ctx: click.Context, webhook_id: str) -> None:
    """Delete a webhook and its delivery history."""
    client(ctx).delete_webhook(webhook_id)
    show(ctx, {"deleted": webhook_id}, lambda: click.echo(f"deleted webhook {webhook_id}"))


@webhooks.command("test")
@click.argument("webhook_id")
@click.option("--event", default=None, help="Event name of the test (default: its first).")
@click.pass_context
def webhooks_test(ctx: click.Context, webhook_id: str, event: str | None) -> None:
    """Send a test delivery now and print the receiver's answer."""
    d = client(ctx).test_webhook(webhook_id, event)

    def human() -> None:
        last = d.log[-1] if d.log else None
        code = last.status_code if last and last.status_code is not None else "-"
        click.echo(f"delivery {d.delivery_uuid}: {d.status} (status {code})"
                   + (f": {last.error}" if last and last.error else ""))
    show(ctx, d.to_dict(), human)


@webhooks.command("deliveries")
@click.argument("webhook_id")
@click.option("-n", "--max-results", default=20, show_default=True,
              help="Most deliveries shown, newest first.")
@click.pass_context
def webhooks_deliveries(ctx: click.Context, webhook_id: str, max_results: int) -> None:
    """A webhook's recent deliveries: attempts, status codes, response excerpts."""
    found = client(ctx).webhook_deliveries(webhook_id, max_results)
    if as_json(ctx):
        emit_json({"deliveries": [d.to_dict() for d in found]})
        return
    table(["ID", "TIME", "EVENT", "STATUS", "ATTEMPTS", "CODE", "RESPONSE"],
          [(d.id, when(d.created_at), d.event_name, d.status, d.attempts,
            d.last_status_code if d.last_status_code is not None else "-",
            ((d.log[-1].error or d.log[-1].excerpt) if d.log else "")[:60].replace("\n", " "))
           for d in found])
