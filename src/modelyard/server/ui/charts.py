"""Charts drawn on the server as SVG: metric lines (several series overlaid, linear or
log scale) and a scatter of one value against another.

Series longer than :data:`MAX_POINTS` are reduced with largest-triangle-three-buckets
(:func:`lttb`), which keeps the shape (peaks and dips) of a curve, so no page carries
more than that many points per series.  The SVG uses classes and presentation
attributes only (no ``style``), so the page's CSP needs no inline style; every text is
escaped.  The plot area is a nested ``<svg>`` in a 0..1000 box whose ``viewBox`` the
page's script narrows to zoom; without script the chart is a plain picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

MAX_POINTS = 5000
Point = tuple[float, float]
W, H = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 40


def lttb(points: Sequence[Point], threshold: int = MAX_POINTS) -> list[Point]:
    """Largest-triangle-three-buckets: ``threshold`` points of ``points`` (sorted by x)
    keeping the first and the last, and in each bucket the point that makes the largest
    triangle with the point kept before and the mean of the next bucket."""
    n = len(points)
    if threshold >= n or threshold < 3:
        return list(points)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    # prefix sums: the mean of any bucket in constant time
    sx, sy = [0.0], [0.0]
    for x, y in points:
        sx.append(sx[-1] + x)
        sy.append(sy[-1] + y)
    out = [points[0]]
    every = (n - 2) / (threshold - 2)
    a = 0
    for i in range(threshold - 2):
        start, end = int(i * every) + 1, int((i + 1) * every) + 1
        nxt_start, nxt_end = end, min(int((i + 2) * every) + 1, n)
        if nxt_end <= nxt_start:
            nxt_start, nxt_end = n - 1, n
        count = nxt_end - nxt_start
        avg_x = (sx[nxt_end] - sx[nxt_start]) / count
        avg_y = (sy[nxt_end] - sy[nxt_start]) / count
        ax, ay = xs[a], ys[a]
        dx, dy = ax - avg_x, avg_y - ay
        best, best_area = start, -1.0
        for j in range(start, min(end, n - 1)):
            area = abs(dx * (ys[j] - ay) - (ax - xs[j]) * dy)
            if area > best_area:
                best, best_area = j, area
        out.append(points[best])
        a = best
    out.append(points[-1])
    return out


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / (count - 1) for i in range(count)]


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _finite(points: Sequence[Point], log: bool) -> list[Point]:
    isfinite = math.isfinite
    if log:
        return [(x, y) for x, y in points if isfinite(y) and y > 0 and isfinite(x)]
    return [(x, y) for x, y in points if isfinite(y) and isfinite(x)]


def _frame(x0: float, x1: float, y0: float, y1: float, log: bool, xlabel: str) -> list[str]:
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = [f'<rect class="frame" x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}"/>']
    for i, v in enumerate(_ticks(y0, y1)):
        y = TOP + ph - ph * i / 4
        label = _fmt(10 ** v) if log else _fmt(v)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="yt" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(label)}</text>')
    for i, v in enumerate(_ticks(x0, x1)):
        x = LEFT + pw * i / 4
        parts.append(f'<text class="xt" data-f="{i / 4}" x="{x:.1f}" y="{TOP + ph + 16}" '
                     f'text-anchor="middle">{escape(_fmt(v))}</text>')
    parts.append(f'<text class="axis" x="{LEFT + pw / 2}" y="{H - 6}" '
                 f'text-anchor="middle">{escape(xlabel)}</text>')
    return parts


def _bounds(all_points: list[Point]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in all_points]
    ys = [p[1] for p in all_points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - (abs(y0) or 1) * 0.05, y1 + (abs(y1) or 1) * 0.05
    return x0, x1, y0, y1


def line_chart(series: Sequence[tuple[str, Sequence[Point]]], *, log: bool = False,
               xlabel: str = "step", title: str = "") -> Markup:
    """An SVG of the series overlaid (each reduced to :data:`MAX_POINTS`); each series
    comes in x order (a metric's history is in step order)."""
    cleaned = [(name, lttb(_finite(pts, log))) for name, pts in series]
    cleaned = [(n, [(x, math.log10(y) if log else y) for x, y in p]) for n, p in cleaned if p]
    label = escape(title or ", ".join(n for n, _ in series))
    head = (f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{label}" '
            f'xmlns="http://www.w3.org/2000/svg"')
    if not cleaned:
        return Markup(head + f'><text class="axis" x="{W / 2}" y="{H / 2}" text-anchor="middle">'
                      'no points to draw</text></svg>')
    x0, x1, y0, y1 = _bounds([p for _, pts in cleaned for p in pts])
    parts = [head + f' data-x0="{x0!r}" data-x1="{x1!r}">']
    parts += _frame(x0, x1, y0, y1, log, xlabel)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts.append(f'<svg class="plot" x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" '
                 'viewBox="0 0 1000 1000" preserveAspectRatio="none">')
    for i, (name, pts) in enumerate(cleaned):
        coords = " ".join(f"{(x - x0) / (x1 - x0) * 1000:.2f},{1000 - (y - y0) / (y1 - y0) * 1000:.2f}"
                          for x, y in pts)
        if len(pts) == 1:
            coords = f"{coords} {coords}"  # a zero-length line with round caps: a dot
        parts.append(f'<polyline class="s{i % 8}" vector-effect="non-scaling-stroke" '
                     f'data-n="{len(pts)}" points="{coords}"><title>{escape(name)}</title></polyline>')
    parts.append("</svg>")
    for i, (name, _) in enumerate(cleaned):
        x = LEFT + 8 + (i % 4) * 160
        y = TOP + 16 + (i // 4) * 16
        parts.append(f'<text class="legend s{i % 8}" x="{x}" y="{y}">{escape(name[:28])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _position(x: object, cats: list[str]) -> float:
    if isinstance(x, (int, float)):
        return float(x)
    return float(cats.index(str(x)))


def scatter(points: Sequence[tuple[str, object, float]], *, xlabel: str,
            ylabel: str) -> Markup:
    """Each (label, x, y) a dot; a non-numeric x is placed by its rank among the values."""
    cats = sorted({str(x) for _, x, _ in points})
    pts = [(lbl, _position(x, cats), y) for lbl, x, y in points if math.isfinite(y)]
    if any(isinstance(x, str) for _, x, _ in points):
        pts = [(lbl, float(cats.index(str(x))), y) for lbl, x, y in points if math.isfinite(y)]
    head = (f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{escape(ylabel)} against {escape(xlabel)}" xmlns="http://www.w3.org/2000/svg">')
    if not pts:
        return Markup(head + f'<text class="axis" x="{W / 2}" y="{H / 2}" '
                      'text-anchor="middle">no points to draw</text></svg>')
    x0, x1, y0, y1 = _bounds([(x, y) for _, x, y in pts])
    px, py = (x1 - x0) * 0.05, (y1 - y0) * 0.05  # no dot on the frame
    x0, x1, y0, y1 = x0 - px, x1 + px, y0 - py, y1 + py
    parts = [head] + _frame(x0, x1, y0, y1, False, f"{xlabel} → {ylabel}")
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    for lbl, x, y in pts:
        cx = LEFT + (x - x0) / (x1 - x0) * pw
        cy = TOP + ph - (y - y0) / (y1 - y0) * ph
        parts.append(f'<circle class="dot" cx="{cx:.1f}" cy="{cy:.1f}" r="5">'
                     f'<title>{escape(lbl)}: {escape(_fmt(y))}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
