"""`modelyard policy ...`, `modelyard requests ...`, `modelyard audit`, and the alias
commands of governance (`alias history`, `alias rollback`, `alias swap`)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import click

from modelyard.cli.context import client
from modelyard.cli.failures import BadUsage
from modelyard.cli.formatting import change_cell
from modelyard.cli.output import as_json, emit_json, is_terminal, show, table, when
from modelyard.domain.governance_records import TransitionRequest


@click.group()
def policy() -> None:
    """A project's stage policy: stages, transitions, gates, approvals, protected aliases."""


@policy.command("set")
@click.argument("project")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def policy_set(ctx: click.Context, project: str, file: Path) -> None:
    """Set PROJECT's policy from a YAML FILE (validated whole; errors name the line)."""
    doc = client(ctx).set_policy(project, file.read_text(encoding="utf-8"))
    show(ctx, doc.to_dict(), lambda: click.echo(
        f"policy of {project} set: stages {', '.join(doc.data.get('stages', []))}"))


@policy.command("show")
@click.argument("project")
@click.pass_context
def policy_show(ctx: click.Context, project: str) -> None:
    """Print PROJECT's policy (the default when it has none of its own)."""
    doc = client(ctx).get_policy(project)

    def human() -> None:
        if doc.source:
            click.echo(doc.source.rstrip("\n"))
        else:
            click.echo(f"# {project} uses the default policy")
            click.echo(json.dumps(doc.data, indent=2))
    show(ctx, doc.to_dict(), human)


@policy.command("delete")
@click.argument("project")
@click.pass_context
def policy_delete(ctx: click.Context, project: str) -> None:
    """Remove PROJECT's policy (back to the default)."""
    client(ctx).delete_policy(project)
    show(ctx, {"deleted": project}, lambda: click.echo(f"{project} uses the default policy"))


@click.group()
def requests() -> None:
    """Transition requests waiting for approvals."""


def _line(r: TransitionRequest) -> tuple[object, ...]:
    return (r.id, f"{r.model}/{r.version}", f"{r.from_stage} -> {r.to_stage}", r.status,
            r.requester, f"{len(r.approvers)}/{r.needed} {r.role}",
            ",".join(r.approvers) or "-", r.blocked)


@requests.command("list")
@click.option("--model", default=None, help="Only this model's requests.")
@click.option("--open", "open_only", is_flag=True, help="Only open requests.")
@click.option("-n", "--max-results", default=50, show_default=True, help="Most items.")
@click.pass_context
def requests_list(ctx: click.Context, model: str | None, open_only: bool,
                  max_results: int) -> None:
    """Requests, newest first: who approved, how many are still needed, why blocked."""
    page = client(ctx).list_requests(model=model, open_only=open_only, max_results=max_results)
    if as_json(ctx):
        emit_json({"requests": [r.to_dict() for r in page.items]})
        return
    table(["ID", "VERSION", "TRANSITION", "STATUS", "REQUESTER", "APPROVALS", "APPROVERS",
           "WHY"], [_line(r) for r in page.items])


@requests.command("show")
@click.argument("request_id", type=int)
@click.pass_context
def requests_show(ctx: click.Context, request_id: int) -> None:
    """One request with its decisions."""
    r = client(ctx).get_request(request_id)
    show(ctx, r.to_dict())


def _decided(ctx: click.Context, r: TransitionRequest, what: str) -> None:
    def human() -> None:
        if r.status == "done":
            click.echo(f"request #{r.id} {what}: {r.model}/{r.version} is now in {r.to_stage}")
        else:
            click.echo(f"request #{r.id} {what}: {r.blocked}")
    show(ctx, r.to_dict(), human)


@requests.command("approve")
@click.argument("request_id", type=int)
@click.option("--comment", default="", help="Why you approve.")
@click.pass_context
def requests_approve(ctx: click.Context, request_id: int, comment: str) -> None:
    """Approve; the last approval needed performs the transition (gates re-checked)."""
    _decided(ctx, client(ctx).approve_request(request_id, comment), "approved")


@requests.command("reject")
@click.argument("request_id", type=int)
@click.option("--comment", default="", help="Why you reject.")
@click.pass_context
def requests_reject(ctx: click.Context, request_id: int, comment: str) -> None:
    """Reject and close the request."""
    _decided(ctx, client(ctx).reject_request(request_id, comment), "rejected")


@requests.command("cancel")
@click.argument("request_id", type=int)
@click.pass_context
def requests_cancel(ctx: click.Context, request_id: int) -> None:
    """Cancel a request (its requester, or a maintainer)."""
    _decided(ctx, client(ctx).cancel_request(request_id), "cancelled")


_SPAN = re.compile(r"^(\d+)([smhdw])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def since_ms(text: str) -> int:
    """``7d``, ``12h``, ``30m`` ago, or an ISO 8601 time."""
    m = _SPAN.match(text.strip())
    if m:
        return int((time.time() - int(m.group(1)) * _UNIT[m.group(2)]) * 1000)
    from modelyard.domain.governance_records import time_ms
    from modelyard.errors import InvalidParameter

    try:
        return time_ms(text)
    except InvalidParameter:
        raise BadUsage(f"--since expects 7d, 12h, 30m or an ISO 8601 time, not {text!r}") \
            from None


@click.command()
@click.option("--model", default=None, help="A model's events (versions, aliases too).")
@click.option("--user", default=None, help="Only what this principal did.")
@click.option("--type", "types", multiple=True,
              help="Exact event type, e.g. alias.moved (repeatable).")
@click.option("--since", default=None, help="Since 7d, 12h, 30m ago or an ISO 8601 time.")
@click.option("-n", "--max-results", default=100, show_default=True, help="Most items.")
@click.pass_context
def audit(ctx: click.Context, model: str | None, user: str | None, types: tuple[str, ...],
          since: str | None, max_results: int) -> None:
    """The audit log, newest first: who changed what, when, from where."""
    c = client(ctx)
    page = c.list_events(model=model, newest_first=True, max_results=max_results,
                         user=user, since=since_ms(since) if since else None,
                         types=list(types) or None)
    if as_json(ctx):
        emit_json({"events": [e.to_dict() for e in page.items]})
        return
    table(["ID", "TIME", "ACTOR", "TYPE", "ENTITY", "CHANGE"],
          [(e.id, when(e.time), e.actor, e.type, e.entity_id,
            change_cell(e.before, e.after, is_terminal()))
           for e in page.items])


def add_alias_commands(alias: click.Group) -> None:
    alias.add_command(alias_history)
    alias.add_command(alias_rollback)
    alias.add_command(alias_swap)


@click.command("history")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.option("-n", "--max-results", default=50, show_default=True, help="Most items.")
@click.pass_context
def alias_history(ctx: click.Context, name: str, alias_name: str, max_results: int) -> None:
    """Every version ALIAS has pointed at: from when to when, by whom, through what."""
    page = client(ctx).alias_history(name, alias_name, max_results=max_results)
    if as_json(ctx):
        emit_json({"moves": [m.to_dict() for m in page.items]})
        return
    table(["VERSION", "FROM", "TO", "BY", "VIA", "REQUEST"],
          [(m.version, when(m.valid_from), when(m.valid_to) if m.valid_to else "now",
            m.moved_by, m.via, f"#{m.request_id}" if m.request_id else "-")
           for m in page.items])


@click.command("rollback")
@click.argument("name")
@click.argument("alias_name", metavar="ALIAS")
@click.pass_context
def alias_rollback(ctx: click.Context, name: str, alias_name: str) -> None:
    """Move ALIAS back to its previous holder (under the same rules as any move)."""
    v = client(ctx).rollback_alias(name, alias_name)
    show(ctx, v.to_dict(), lambda: click.echo(f"{name}@{alias_name} -> {v.version}"))


@click.command("swap")
@click.argument("name")
@click.argument("first")
@click.argument("second")
@click.pass_context
def alias_swap(ctx: click.Context, name: str, first: str, second: str) -> None:
    """Exchange the versions of two aliases in one atomic move."""
    c = client(ctx)
    c.swap_aliases(name, first, second)
    m = c.get_model(name)
    show(ctx, {"aliases": m.aliases}, lambda: click.echo(
        f"{name}@{first} -> {m.aliases.get(first)}, {name}@{second} -> {m.aliases.get(second)}"))
