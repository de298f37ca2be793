"""`modelyard experiments|runs|datasets|deployments ...` and `modelyard lineage REF`."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from modelyard.cli.main import client
from modelyard.cli.models import parse_tags
from modelyard.cli.output import as_json, console, emit_json, human_size, show, table, when


def _experiment_id(c: Any, ref: str) -> str:
    return ref if ref.isdigit() else c.get_experiment_by_name(ref).experiment_id  # type: ignore[no-any-return]


def _deleted(deleted: bool, all_: bool) -> bool | None:
    return None if all_ else deleted


# -- experiments ----------------------------------------------------------------------
@click.group()
def experiments() -> None:
    """Experiments: named groups of runs."""


@experiments.command("create")
@click.argument("name")
@click.option("-t", "--tag", "tags", multiple=True, metavar="KEY=VALUE")
@click.pass_context
def exp_create(ctx: click.Context, name: str, tags: tuple[str, ...]) -> None:
    """Create an experiment; prints its id."""
    e = client(ctx).create_experiment(name, parse_tags(tags))
    show(ctx, e.to_dict(), lambda: click.echo(e.experiment_id))


@experiments.command("list")
@click.option("-f", "--filter", "filter_", default=None, help="e.g. \"name LIKE 'fraud%'\"")
@click.option("-o", "--order-by", multiple=True)
@click.option("-n", "--max-results", default=100, show_default=True)
@click.option("--page-token", default=None)
@click.option("--deleted", is_flag=True, help="Only deleted experiments.")
@click.option("--all", "all_", is_flag=True, help="Active and deleted experiments.")
@click.pass_context
def exp_list(ctx: click.Context, filter_: str | None, order_by: tuple[str, ...],
             max_results: int, page_token: str | None, deleted: bool, all_: bool) -> None:
    """List or search experiments."""
    page = client(ctx).search_experiments(filter_, list(order_by), max_results, page_token,
                                          _deleted(deleted, all_))
    if as_json(ctx):
        emit_json({"experiments": [e.to_dict() for e in page.items],
                   "next_page_token": page.next_page_token})
        return
    table(["ID", "NAME", "STAGE", "TAGS", "CREATED"],
          [(e.experiment_id, e.name, e.lifecycle_stage,
            " ".join(f"{k}={v}" for k, v in e.tags.items()), when(e.created_at))
           for e in page.items])
    if page.next_page_token:
        click.echo(f"next page: --page-token {page.next_page_token}")


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
    e = c.rename_experiment(_experiment_id(c, ref), new_name)
    show(ctx, e.to_dict(), lambda: click.echo(f"renamed experiment {e.experiment_id} to {e.name}"))


@experiments.command("delete")
@click.argument("ref", metavar="ID|NAME")
@click.pass_context
def exp_delete(ctx: click.Context, ref: str) -> None:
    """Soft-delete an experiment (restorable; its runs stay for lineage)."""
    c = client(ctx)
    eid = _experiment_id(c, ref)
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
    eid = _experiment_id(c, ref)
    for k, v in parse_tags(pairs).items():
        c.set_experiment_tag(eid, k, v)
    show(ctx, {"experiment_id": eid, "tags": parse_tags(pairs)},
         lambda: click.echo(f"tagged experiment {eid}"))


# -- runs -----------------------------------------------------------------------------
@click.group()
def runs() -> None:
    """Runs: params, metrics, tags and artifacts of one training."""


@runs.command("list")
@click.argument("experiment", metavar="EXPERIMENT_ID|NAME", default="0")
@click.option("-f", "--filter", "filter_", default=None,
              help="e.g. \"metrics.auc > 0.9 AND params.max_depth = '8'\"")
@click.option("-o", "--order-by", multiple=True, help="e.g. 'metrics.auc DESC'")
@click.option("-n", "--max-results", default=100, show_default=True)
@click.option("--page-token", default=None)
@click.option("--deleted", is_flag=True)
@click.pass_context
def runs_list(ctx: click.Context, experiment: str, filter_: str | None,
              order_by: tuple[str, ...], max_results: int, page_token: str | None,
              deleted: bool) -> None:
    """Search the runs of an experiment."""
    c = client(ctx)
    page = c.search_runs([_experiment_id(c, experiment)], filter_, list(order_by), max_results,
                         page_token, deleted)
    if as_json(ctx):
        emit_json({"runs": [r.to_dict() for r in page.items],
                   "next_page_token": page.next_page_token})
        return
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    t.add_column("RUN ID", no_wrap=True, min_width=32)  # whole, to copy into other commands
    for col in ("NAME", "STATUS", "STARTED", "PARAMS", "METRICS"):
        t.add_column(col)
    for r in page.items:
        t.add_row(escape(r.run_id), escape(r.run_name), r.status, when(r.start_time),
                  escape(_short(" ".join(f"{k}={v}" for k, v in r.params.items()))),
                  escape(_short(" ".join(f"{k}={_num(v)}" for k, v in r.metrics.items()))))
    console.print(t)
    if page.next_page_token:
        click.echo(f"next page: --page-token {page.next_page_token}")


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


def _num(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


@runs.command("show")
@click.argument("run_id")
@click.pass_context
def runs_show(ctx: click.Context, run_id: str) -> None:
    """Show a run: status, params, latest metrics, tags, inputs."""
    r = client(ctx).get_run(run_id)
    show(ctx, r.to_dict())


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True, metavar="RUN_ID RUN_ID...")
@click.option("--all", "all_", is_flag=True, help="Show equal values too.")
@click.pass_context
def runs_compare(ctx: click.Context, run_ids: tuple[str, ...], all_: bool) -> None:
    """Params and final metrics side by side; by default only what differs."""
    diff = client(ctx).compare_runs(list(run_ids), all_values=all_)

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
    points = list(client(ctx).iter_metric_history(run_id, key))
    show(ctx, {"metrics": [m.to_dict() for m in points]}, lambda: table(
        ["STEP", "VALUE", "TIME"], [(m.step, _num(m.value), when(m.timestamp)) for m in points]))


@runs.command("artifacts")
@click.argument("run_id")
@click.argument("path", default="")
@click.pass_context
def runs_artifacts(ctx: click.Context, run_id: str, path: str) -> None:
    """List one folder of a run's artifacts."""
    items = client(ctx).list_run_artifacts(run_id, path)
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
    out = client(ctx).download_run_artifacts(run_id, path, dest)
    show(ctx, {"dest": str(out)}, lambda: click.echo(f"downloaded to {out}"))


@runs.command("delete")
@click.argument("run_id")
@click.pass_context
def runs_delete(ctx: click.Context, run_id: str) -> None:
    """Mark a run deleted (restorable; kept for the lineage of its model versions)."""
    client(ctx).delete_run(run_id)
    show(ctx, {"deleted": run_id}, lambda: click.echo(f"deleted run {run_id} (restorable)"))


@runs.command("restore")
@click.argument("run_id")
@click.pass_context
def runs_restore(ctx: click.Context, run_id: str) -> None:
    """Restore a deleted run."""
    client(ctx).restore_run(run_id)
    show(ctx, {"restored": run_id}, lambda: click.echo(f"restored run {run_id}"))


@runs.command("note")
@click.argument("run_id")
@click.argument("text")
@click.pass_context
def runs_note(ctx: click.Context, run_id: str, text: str) -> None:
    """Set the notes of a run (shown by `runs show` and MLflow's UI)."""
    client(ctx).set_run_note(run_id, text)
    show(ctx, {"run_id": run_id, "note": text}, lambda: click.echo(f"noted run {run_id}"))


@runs.command("tag")
@click.argument("run_id")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.pass_context
def runs_tag(ctx: click.Context, run_id: str, pairs: tuple[str, ...]) -> None:
    """Set tags on a run."""
    client(ctx).set_run_tags(run_id, parse_tags(pairs))
    show(ctx, {"run_id": run_id, "tags": parse_tags(pairs)},
         lambda: click.echo(f"tagged run {run_id}"))


# -- datasets -------------------------------------------------------------------------
@click.group()
def datasets() -> None:
    """Datasets: versioned, content-addressed files with a profile."""


@datasets.command("register")
@click.argument("path", type=click.Path(exists=True))
@click.option("--name", required=True)
@click.option("-d", "--description", default="")
@click.option("--run-id", default=None, help="Record that this run read the dataset.")
@click.option("--context", default="training", show_default=True)
@click.pass_context
def ds_register(ctx: click.Context, path: str, name: str, description: str,
                run_id: str | None, context: str) -> None:
    """Register a file or folder as a dataset version; prints NAME/VERSION."""
    dv = client(ctx).log_dataset(path, name, run_id=run_id, context=context,
                                 description=description)
    show(ctx, dv.to_dict(), lambda: click.echo(dv.ref))


@datasets.command("list")
@click.option("--name-like", default=None)
@click.pass_context
def ds_list(ctx: click.Context, name_like: str | None) -> None:
    """List datasets (--name-like 'tx%')."""
    page = client(ctx).list_datasets(name_like)
    show(ctx, {"datasets": [d.to_dict() for d in page.items]}, lambda: table(
        ["NAME", "LATEST", "CREATED"],
        [(d.name, d.latest_version, when(d.created_at)) for d in page.items]))


@datasets.command("versions")
@click.argument("name")
@click.pass_context
def ds_versions(ctx: click.Context, name: str) -> None:
    """The versions of a dataset, newest first."""
    items = client(ctx).list_dataset_versions(name)
    show(ctx, {"dataset_versions": [v.to_dict() for v in items]}, lambda: table(
        ["VERSION", "DIGEST", "FILES", "SIZE", "ROWS", "CREATED"],
        [(v.version, v.digest[:12], v.file_count, human_size(v.size),
          (v.profile or {}).get("rows", ""), when(v.created_at)) for v in items]))


@datasets.command("show")
@click.argument("ref", metavar="NAME[/VERSION]")
@click.pass_context
def ds_show(ctx: click.Context, ref: str) -> None:
    """A dataset version: manifest, digest and profile."""
    from modelyard.domain.datasets import parse_dataset_ref

    dv = client(ctx).get_dataset_version(*parse_dataset_ref(ref))
    show(ctx, dv.to_dict(), lambda: click.echo(json.dumps(dv.to_dict(), indent=2, default=str)))


# -- deployments ----------------------------------------------------------------------
@click.group()
def deployments() -> None:
    """Deployments: where model versions are served."""


@deployments.command("record")
@click.argument("ref", metavar="MODEL/VERSION|MODEL@ALIAS")
@click.argument("endpoint")
@click.option("-e", "--environment", default="")
@click.pass_context
def dep_record(ctx: click.Context, ref: str, endpoint: str, environment: str) -> None:
    """Record that a version is served at ENDPOINT; prints the deployment id."""
    c = client(ctx)
    v = c.resolve(ref, files=False)
    d = c.record_deployment(v.model, v.version, endpoint, environment)
    show(ctx, d.to_dict(), lambda: click.echo(d.id))


@deployments.command("end")
@click.argument("deployment_id")
@click.pass_context
def dep_end(ctx: click.Context, deployment_id: str) -> None:
    """Record that a deployment ended."""
    d = client(ctx).end_deployment(deployment_id)
    show(ctx, d.to_dict(), lambda: click.echo(f"ended deployment {d.id}"))


@deployments.command("list")
@click.option("--model", default=None)
@click.option("--all", "all_", is_flag=True, help="Include ended deployments.")
@click.pass_context
def dep_list(ctx: click.Context, model: str | None, all_: bool) -> None:
    """Active deployments (--all: ended ones too)."""
    items = client(ctx).list_deployments(model, None, not all_)
    show(ctx, {"deployments": [d.to_dict() for d in items]}, lambda: table(
        ["ID", "MODEL", "VERSION", "ENDPOINT", "ENVIRONMENT", "SINCE", "ENDED"],
        [(d.id, d.model, d.version, d.endpoint, d.environment, when(d.started_at),
          when(d.ended_at)) for d in items]))


# -- lineage --------------------------------------------------------------------------
@click.command()
@click.argument("ref", metavar="REF")
@click.option("--direction", type=click.Choice(["upstream", "downstream", "both"]),
              default="both", show_default=True)
@click.option("--depth", default=5, show_default=True)
@click.pass_context
def lineage(ctx: click.Context, ref: str, direction: str, depth: int) -> None:
    """The lineage of a model version (fraud@production, fraud/3), a run (run:ID), a
    dataset version (dataset-version:NAME/VERSION) or a deployment (deployment:ID):
    dataset versions -> run (commit, params) -> model version -> derived versions ->
    deployments."""
    graph = client(ctx).lineage(ref, direction, depth)
    if as_json(ctx):
        emit_json(graph.to_dict())
        return
    console.print(render_tree(graph, direction), highlight=False)


def _label(node: Any) -> str:
    d = node.data
    if node.type == "model-version":
        extra = " ".join("@" + a for a in d.get("aliases") or [])
        stage = f" ({d['stage']})" if d.get("stage") not in (None, "None") else ""
        deleted = " (deleted)" if d.get("deleted") else ""
        return f"[bold]model version[/bold] {escape(f'{node.label}{stage}{deleted} {extra}'.rstrip())}"
    if node.type == "run":
        tags = d.get("tags") or {}
        commit = tags.get("mlflow.source.git.commit", "")
        git = f" commit {commit[:10]}" if commit else ""
        if tags.get("modelyard.git.dirty") == "true":
            git += " (dirty)"
        params = ", ".join(f"{k}={v}" for k, v in sorted((d.get("params") or {}).items()))
        deleted = " (deleted)" if d.get("lifecycle_stage") == "deleted" else ""
        return "[bold]run[/bold] " + escape(
            f"{d.get('run_name')} ({d.get('run_id', '')[:8]}){deleted}{git}"
            + (f" params: {_short(params, 80)}" if params else ""))
    if node.type == "dataset-version":
        rows = f", {d['rows']} rows" if d.get("rows") is not None else ""
        cols = f", {d['columns']} columns" if d.get("columns") else ""
        return "[bold]dataset[/bold] " + escape(
            f"{node.label} ({d.get('digest', '')[:12]}{rows}{cols})")
    ended = f", ended {when(d.get('ended_at'))}" if d.get("ended_at") else ""
    env = f" [{d['environment']}]" if d.get("environment") else ""
    return "[bold]deployment[/bold] " + escape(
        f"{d.get('endpoint')}{env} since {when(d.get('started_at'))}{ended}")


def render_tree(graph: Any, direction: str = "both") -> Tree:
    nodes = {n.id: n for n in graph.nodes}
    incoming: dict[str, list[Any]] = {}
    outgoing: dict[str, list[Any]] = {}
    for e in graph.edges:
        incoming.setdefault(e.target, []).append(e)
        outgoing.setdefault(e.source, []).append(e)
    root = Tree(_label(nodes[graph.root]))

    def grow(branch: Tree, node_id: str, up: bool, seen: frozenset[str]) -> None:
        edges = incoming.get(node_id, []) if up else outgoing.get(node_id, [])
        for e in edges:
            other = e.source if up else e.target
            if other in seen:
                continue
            child = branch.add(f"{_label(nodes[other])}  [dim]({escape(e.relation)})[/dim]")
            grow(child, other, up, seen | {other})

    if direction in ("upstream", "both") and incoming.get(graph.root):
        grow(root.add("[italic]upstream[/italic]"), graph.root, True, frozenset({graph.root}))
    if direction in ("downstream", "both") and outgoing.get(graph.root):
        grow(root.add("[italic]downstream[/italic]"), graph.root, False,
             frozenset({graph.root}))
    return root
