"""`modelyard runs ...`: params, metrics, tags and artifacts of runs."""

from __future__ import annotations

from typing import Any

import click

from modelyard.cli.context import client, experiment_id, run_id as full_run_id
from modelyard.cli.models import parse_tags
from modelyard.cli.output import (
    as_json,
    emit_json,
    human_size,
    is_terminal,
    next_page,
    show,
    table,
    when,
)


@click.group()
def runs() -> None:
    """Runs: params, metrics, tags and artifacts of one training."""


@runs.command("list")
@click.argument("experiment", metavar="EXPERIMENT_ID|NAME", default="0")
@click.option("-f", "--filter", "filter_", default=None,
              help="e.g. \"metrics.auc > 0.9 AND params.max_depth = '8'\"")
@click.option("-o", "--order-by", multiple=True, help="e.g. 'metrics.auc DESC'")
@click.option("-n", "--max-results", default=100, show_default=True,
              help="Most items on one page.")
@click.option("--page-token", default=None,
              help="Continue where a previous page ended.")
@click.option("--deleted", is_flag=True, help="List deleted runs.")
@click.pass_context
def runs_list(ctx: click.Context, experiment: str, filter_: str | None,
              order_by: tuple[str, ...], max_results: int, page_token: str | None,
              deleted: bool) -> None:
    """Search the runs of an experiment."""
    c = client(ctx)
    page = c.search_runs([experiment_id(c, experiment)], filter_, list(order_by), max_results,
                         page_token, deleted)
    if as_json(ctx):
        emit_json({"runs": [r.to_dict() for r in page.items],
                   "next_page_token": page.next_page_token})
        return
    table(["RUN ID", "NAME", "STATUS", "STARTED", "PARAMS", "METRICS"],
          [(r.run_id, r.run_name, r.status, when(r.start_time),
            " ".join(f"{k}={v}" for k, v in r.params.items()),
            " ".join(f"{k}={_num(v)}" for k, v in r.metrics.items())) for r in page.items])
    if page.next_page_token:
        next_page(page.next_page_token)


def _rid(ctx: click.Context, text: str) -> str:
    """The whole run id of ``text`` (an id or a unique prefix)."""
    return full_run_id(client(ctx), text)


def _num(v: Any) -> str:
    """A metric: 6 significant digits on a terminal, every digit in a pipe."""
    return f"{v:.6g}" if isinstance(v, float) and is_terminal() else str(v)


@runs.command("show")
@click.argument("run_id")
@click.pass_context
def runs_show(ctx: click.Context, run_id: str) -> None:
    """Show a run: status, params, latest metrics, tags, inputs."""
    r = client(ctx).get_run(_rid(ctx, run_id))
    show(ctx, r.to_dict())


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN_ID RUN_ID...")
@click.option("--all", "all_", is_flag=True, help="Show equal values too.")
@click.pass_context
def runs_compare(ctx: click.Context, run_ids: tuple[str, ...], all_: bool) -> None:
    """Params and final metrics side by side; by default only what differs."""
    diff = client(ctx).compare_runs([_rid(ctx, r) for r in run_ids], all_values=all_)

    def human() -> None:
        heads = [f"{r['run_name']} ({r['run_id'][:8]})" for r in diff["runs"]]
        rows = [(f"params.{k}", *("" if v is None else v for v in vals))
                for k, vals in diff["params"].items()]
        rows += [(f"metrics.{k}", *("" if v is None else _num(v) for v in vals))
                 for k, vals in diff["metrics"].items()]
        if not rows:
            click.echo("no differences in params or metrics")
            return
        table(["KEY", *heads], rows)

    show(ctx, diff, human)


@runs.command("history")
@click.argument("run_id")
@click.argument("key")
@click.pass_context
def runs_history(ctx: click.Context, run_id: str, key: str) -> None:
    """Every point of one metric, in step order."""
    points = list(client(ctx).iter_metric_history(_rid(ctx, run_id), key))
    show(ctx, {"metrics": [m.to_dict() for m in points]}, lambda: table(
        ["STEP", "VALUE", "TIME"], [(m.step, _num(m.value), when(m.timestamp)) for m in points]))


@runs.command("artifacts")
@click.argument("run_id")
@click.argument("path", default="")
@click.pass_context
def runs_artifacts(ctx: click.Context, run_id: str, path: str) -> None:
    """List one folder of a run's artifacts."""
    items = client(ctx).list_run_artifacts(_rid(ctx, run_id), path)
    show(ctx, {"artifacts": items}, lambda: table(
        ["PATH", "SIZE"], [(i["path"] + ("/" if i["is_dir"] else ""),
                            "" if i["is_dir"] else human_size(i["size"])) for i in items]))


@runs.command("download")
@click.argument("run_id")
@click.argument("path")
@click.argument("dest", type=click.Path())
@click.pass_context
def runs_download(ctx: click.Context, run_id: str, path: str, dest: str) -> None:
    """Download the artifacts under PATH into DEST."""
    out = client(ctx).download_run_artifacts(_rid(ctx, run_id), path, dest)
    show(ctx, {"dest": str(out)}, lambda: click.echo(f"downloaded to {out}"))


@runs.command("delete")
@click.argument("run_id")
@click.pass_context
def runs_delete(ctx: click.Context, run_id: str) -> None:
    """Mark a run deleted (restorable; kept for the lineage of its model versions)."""
    client(ctx).delete_run(_rid(ctx, run_id))
    show(ctx, {"deleted": run_id}, lambda: click.echo(f"deleted run {run_id} (restorable)"))


@runs.command("restore")
@click.argument("run_id")
@click.pass_context
def runs_restore(ctx: click.Context, run_id: str) -> None:
    """Restore a deleted run."""
    client(ctx).restore_run(_rid(ctx, run_id))
    show(ctx, {"restored": run_id}, lambda: click.echo(f"restored run {run_id}"))


@runs.command("note")
@click.argument("run_id")
@click.argument("text")
@click.pass_context
def runs_note(ctx: click.Context, run_id: str, text: str) -> None:
    """Set the notes of a run (shown by `runs show` and MLflow's UI)."""
    client(ctx).set_run_note(_rid(ctx, run_id), text)
    show(ctx, {"run_id": run_id, "note": text}, lambda: click.echo(f"noted run {run_id}"))


@runs.command("tag")
@click.argument("run_id")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_context
def runs_tag(ctx: click.Context, run_id: str, pairs: tuple[str, ...]) -> None:
    """Set tags on a run."""
    client(ctx).set_run_tags(_rid(ctx, run_id), parse_tags(pairs, "each tag"))
    show(ctx, {"run_id": run_id, "tags": parse_tags(pairs, "each tag")},
         lambda: click.echo(f"tagged run {run_id}"))
