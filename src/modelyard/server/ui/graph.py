"""The lineage graph drawn on the server as SVG: datasets -> runs -> versions -> derived
versions -> deployments, left to right, each node a link to its page.

Layout: a node's column is the longest path to it from a node without inputs (so data
flows left to right); nodes of a column are stacked in the order met.  Edges are
cubic curves with an arrow head.  Classes and presentation attributes only (the page's
CSP forbids inline style); every label is escaped.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from modelyard.domain.entities import LineageGraph, LineageNode
from modelyard.server.ui.render import seg

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 180, 44, 60, 18, 12
MAX_NODES = 200


def node_href(node: LineageNode) -> str | None:
    d = node.data
    if node.type == "model-version":
        return f"/models/{seg(d.get('model'))}/versions/{seg(d.get('version'))}"
    if node.type == "run":
        return f"/runs/{seg(d.get('run_id'))}"
    if node.type == "dataset-version":
        return f"/datasets/{seg(d.get('name'))}"
    if node.type == "deployment":
        return f"/models/{seg(d.get('model'))}/versions/{seg(d.get('version'))}"
    return None


def _columns(graph: LineageGraph) -> dict[str, int]:
    ids = [n.id for n in graph.nodes]
    col = dict.fromkeys(ids, 0)
    # Longest path by relaxation: at most len(ids) rounds; cycles cannot occur in
    # lineage, and the bound keeps a bad graph from looping.
    for _ in range(len(ids)):
        changed = False
        for e in graph.edges:
            if e.source in col and e.target in col and col[e.target] < col[e.source] + 1:
                col[e.target] = col[e.source] + 1
                changed = True
        if not changed:
            break
    return col


def lineage_svg(graph: LineageGraph) -> Markup:
    nodes = graph.nodes[:MAX_NODES]
    shown = {n.id for n in nodes}
    col = _columns(LineageGraph(graph.root, nodes, [e for e in graph.edges
                                                     if e.source in shown and e.target in shown]))
    rows: dict[int, int] = {}
    pos: dict[str, tuple[float, float]] = {}
    for n in nodes:
        c = col[n.id]
        r = rows.get(c, 0)
        rows[c] = r + 1
        pos[n.id] = (PAD + c * (NODE_W + GAP_X), PAD + r * (NODE_H + GAP_Y))
    width = PAD * 2 + (max(col.values(), default=0) + 1) * (NODE_W + GAP_X) - GAP_X
    height = PAD * 2 + max(rows.values(), default=1) * (NODE_H + GAP_Y) - GAP_Y
    parts = [f'<svg class="lineage" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="lineage graph" '
             'xmlns="http://www.w3.org/2000/svg">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" '
             'd="M0,0 L10,5 L0,10 z"/></marker></defs>']
    for e in graph.edges:
        if e.source not in pos or e.target not in pos:
            continue
        (sx, sy), (tx, ty) = pos[e.source], pos[e.target]
        x1, y1, x2, y2 = sx + NODE_W, sy + NODE_H / 2, tx, ty + NODE_H / 2
        mid = (x1 + x2) / 2
        parts.append(f'<path class="edge" marker-end="url(#arrow)" d="M{x1:.0f},{y1:.0f} '
                     f'C{mid:.0f},{y1:.0f} {mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}">'
                     f'<title>{escape(e.relation)}</title></path>')
    for n in nodes:
        x, y = pos[n.id]
        root = " root" if n.id == graph.root else ""
        kind = escape(n.type.replace("-", " "))
        label = n.label if len(n.label) <= 24 else n.label[:23] + "…"
        body = (f'<rect class="node {escape(n.type)}{root}" x="{x:.0f}" y="{y:.0f}" '
                f'width="{NODE_W}" height="{NODE_H}" rx="6"/>'
                f'<text class="kind" x="{x + 8:.0f}" y="{y + 16:.0f}">{kind}</text>'
                f'<text class="label" x="{x + 8:.0f}" y="{y + 34:.0f}">{escape(label)}</text>'
                f'<title>{escape(n.type)}: {escape(n.label)}</title>')
        href = node_href(n)
        if href:
            parts.append(f'<a class="node-link" href="{escape(href)}" data-node="{escape(n.id)}">'
                         f'{body}</a>')
        else:
            parts.append(f'<g data-node="{escape(n.id)}">{body}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))
