"""`modelyard lineage REF`: the lineage graph of a version, run, dataset version or
deployment, drawn as a tree."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.tree import Tree

from modelyard.cli.context import client, short
from modelyard.domain.entities import LineageEdge, LineageGraph, LineageNode
from modelyard.cli.output import as_json, console, emit_json, when


@click.command()
@click.argument("ref", metavar="REF")
@click.option("--direction", type=click.Choice(["upstream", "downstream", "both"]),
              default="both", show_default=True,
              help="Follow edges towards sources, towards results, or both.")
@click.option("--depth", default=5, show_default=True, help="Most edges from REF.")
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


def _label(node: LineageNode) -> str:
    d = node.data
    if node.type == "model-version":
        extra = " ".join("@" + a for a in d.get("aliases") or [])
        stage = f" ({d['stage']})" if d.get("stage") not in (None, "None") else ""
        deleted = " (deleted)" if d.get("deleted") else ""
        return f"[bold]model version[/bold] {escape(f'{node.label}{stage}{deleted} {extra}'.rstrip())}"
    if node.type == "run" and d.get("external"):
        return "[bold]run[/bold] " + escape(f"{d.get('run_id')} (external: not on this server)")
    if node.type == "run":
        tags = d.get("tags") or {}
        commit = tags.get("mlflow.source.git.commit", "")
        git = f" commit {commit[:10]}" if commit else ""
        if tags.get("modelyard.git.dirty") == "true":
            git += " (dirty)"
        params = ", ".join(f"{k}={v}" for k, v in sorted((d.get("params") or {}).items()))
        deleted = " (deleted)" if d.get("lifecycle_stage") == "deleted" else ""
        cmd = f" cmd: {short(tags['dvc.cmd'], 80)}" if tags.get("dvc.cmd") else ""
        return "[bold]run[/bold] " + escape(
            f"{d.get('run_name')} ({d.get('run_id', '')[:8]}){deleted}{git}{cmd}"
            + (f" params: {short(params, 80)}" if params else ""))
    if node.type == "dataset-version":
        rows = f", {d['rows']} rows" if d.get("rows") is not None else ""
        cols = f", {d['columns']} columns" if d.get("columns") else ""
        return "[bold]dataset[/bold] " + escape(
            f"{node.label} ({d.get('digest', '')[:12]}{rows}{cols})")
    ended = f", ended {when(d.get('ended_at'))}" if d.get("ended_at") else ""
    env = f" [{d['environment']}]" if d.get("environment") else ""
    return "[bold]deployment[/bold] " + escape(
        f"{d.get('endpoint')}{env} since {when(d.get('started_at'))}{ended}")


def render_tree(graph: LineageGraph, direction: str = "both") -> Tree:
    nodes = {n.id: n for n in graph.nodes}
    incoming: dict[str, list[LineageEdge]] = {}
    outgoing: dict[str, list[LineageEdge]] = {}
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
