"""Pages of experiments and runs: the experiments list, an experiment's runs (chosen
metric and param columns, filter, sort), a run's page (params, tags, notes, artifacts
with previews, datasets, metric charts), artifact previews, and the compare view."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from modelyard.domain.entities import Run
from modelyard.errors import InvalidParameter
from modelyard.server.ui.charts import MAX_POINTS, Point, line_chart, scatter
from modelyard.server.ui.common import attempt, principal, query_with, services, to_number
from modelyard.server.ui.render import page

router = APIRouter()
NOTE_TAG = "mlflow.note.content"
PREVIEW_BYTES = 64 * 1024
MAX_HISTORY = 1_000_000  # points read for one chart series before it is reduced
ENVELOPE_ABOVE = 4 * MAX_POINTS  # longer series come as the database's envelope
TEXT_EXT = {".txt", ".log", ".md", ".json", ".yaml", ".yml", ".py", ".cfg", ".ini", ".toml"}
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    return name[name.rfind("."):] if "." in name else ""


def preview_kind(path: str) -> str | None:
    ext = _suffix(path)
    if ext == ".csv":
        return "csv"
    if ext in IMAGE_TYPES:
        return "image"
    if ext in TEXT_EXT:
        return "text"
    return None


@router.get("/experiments", response_class=HTMLResponse, include_in_schema=False)
def experiments_list(request: Request, q: str = "",
                     page_token: str | None = None) -> HTMLResponse:
    s, who = services(request), principal(request)
    error = None
    try:
        found = s.tracking.search_experiments(who, q or None, ["last_update_time DESC"],
                                              100, page_token)
        items, nxt = found.items, found.next_page_token
    except InvalidParameter as exc:
        items, nxt, error = [], None, exc.message
    return page(request, "experiments.html", title="Experiments", experiments=items, q=q,
                error=error, next_url=query_with(request, page_token=nxt) if nxt else None)


def _split(values: list[str]) -> list[str]:
    return [x for v in values for x in v.split(",") if x]


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse,
            include_in_schema=False)
def experiment_page(request: Request, experiment_id: str, q: str = "",
                    order: str = "start_time DESC",
                    metrics: list[str] = Query(default=[]),
                    params: list[str] = Query(default=[]),
                    page_token: str | None = None) -> HTMLResponse:
    s, who = services(request), principal(request)
    exp = s.tracking.get_experiment(who, experiment_id)
    error = None
    try:
        found = s.tracking.search_runs(who, [exp.experiment_id], q or None, [order], 100,
                                       page_token)
        runs, nxt = found.items, found.next_page_token
    except InvalidParameter as exc:
        runs, nxt, error = [], None, exc.message
    metric_keys = sorted({k for r in runs for k in r.metrics})
    param_keys = sorted({k for r in runs for k in r.params})
    return page(request, "experiment.html", title=exp.name, exp=exp, runs=runs, q=q,
                order=order, error=error, metric_keys=metric_keys, param_keys=param_keys,
                metrics=_split(metrics) or metric_keys[:4],
                params=_split(params) or param_keys[:4],
                note=exp.tags.get(NOTE_TAG, ""),
                next_url=query_with(request, page_token=nxt) if nxt else None)


def history(request: Request, run_id: str, key: str) -> list[Point]:
    """A metric's (step, value) points, for a chart to reduce to its 5,000: every point
    of a series up to 20,000 long, the envelope of 10,000 step buckets (20,000 points,
    made by the database) of a longer one."""
    s, who = services(request), principal(request)
    return s.tracking.metric_series(who, run_id, key, MAX_HISTORY,
                                    envelope_above=ENVELOPE_ABOVE)


def _preview(request: Request, run_id: str, path: str, kind: str) -> dict[str, Any]:
    s, who = services(request), principal(request)
    entry = s.tracking.run_artifact_entry(who, run_id, path)
    raw = b"".join(s.blob_service.read_chunks(who, entry.sha256, 0,
                                              min(entry.size, PREVIEW_BYTES)))
    text = raw.decode("utf-8", errors="replace")
    cut = entry.size > PREVIEW_BYTES
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(text)))[:51]
        return {"kind": "csv", "rows": rows, "cut": cut or len(rows) > 50}
    return {"kind": "text", "text": text, "cut": cut}


@router.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
def run_page(request: Request, run_id: str, metrics: list[str] = Query(default=[]),
             scale: str = "linear", preview: str = "") -> HTMLResponse:
    s, who = services(request), principal(request)
    run = s.tracking.get_run(who, run_id)
    exp = attempt(s.tracking.get_experiment, who, run.experiment_id)
    files = s.tracking.run_artifact_files(who, run.run_id)
    keys = sorted(run.metrics)
    chosen = [k for k in _split(metrics) if k in run.metrics] or keys[:8]
    log = scale == "log"
    chart = line_chart([(k, history(request, run.run_id, k)) for k in chosen], log=log) \
        if chosen else None
    shown = None
    if preview and preview_kind(preview) in ("text", "csv"):
        shown = _preview(request, run.run_id, preview, preview_kind(preview) or "text")
    elif preview and preview_kind(preview) == "image":
        shown = {"kind": "image", "path": preview}
    tags = {k: v for k, v in run.tags.items() if k != NOTE_TAG}
    return page(request, "run.html", title=run.run_name or run.run_id, run=run, exp=exp,
                files=files, chart=chart, keys=keys, chosen=chosen, log=log, tags=tags,
                note=run.tags.get(NOTE_TAG, ""), shown=shown, preview=preview,
                preview_kind=preview_kind,
                log_url=query_with(request, scale=None if log else "log"))


@router.get("/runs/{run_id}/preview/{path:path}", include_in_schema=False)
def artifact_preview(request: Request, run_id: str, path: str) -> Response:
    """An image or text artifact's bytes for the preview: an image type by its name,
    or text/plain; never HTML, and sandboxed (the default headers)."""
    s, who = services(request), principal(request)
    kind = preview_kind(path)
    if kind is None:
        raise InvalidParameter("only text, CSV and image artifacts are previewed")
    entry = s.tracking.run_artifact_entry(who, run_id, path)
    limit = entry.size if kind == "image" else min(entry.size, PREVIEW_BYTES)
    if limit > 20 * 1024 * 1024:
        raise InvalidParameter("the image is too large to preview")
    raw = b"".join(s.blob_service.read_chunks(who, entry.sha256, 0, limit))
    media = IMAGE_TYPES.get(_suffix(path), "text/plain; charset=utf-8")
    return Response(raw, media_type=media, headers={
        "Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


def _numeric(values: list[str]) -> list[float | str]:
    nums = [to_number(v) for v in values]
    if all(isinstance(n, float) for n in nums):
        return [n for n in nums if n is not None]
    return list(values)


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, run: list[str] = Query(default=[]), x: str = "",
                 y: str = "", scale: str = "linear") -> HTMLResponse:
    s, who = services(request), principal(request)
    ids = list(dict.fromkeys(_split(run)))
    if not 2 <= len(ids) <= 10:
        raise InvalidParameter("compare 2 to 10 runs: pick them on an experiment's page")
    runs: list[Run] = [s.tracking.get_run(who, r) for r in ids]
    param_keys = sorted({k for r in runs for k in r.params})
    metric_keys = sorted({k for r in runs for k in r.metrics})
    differs = {k for k in param_keys if len({r.params.get(k) for r in runs}) > 1}
    log = scale == "log"
    charts = []
    for key in metric_keys[:6]:
        series = [(r.run_name or r.run_id[:8], history(request, r.run_id, key))
                  for r in runs if key in r.metrics]
        if any(len(p) > 1 for _, p in series):
            charts.append((key, line_chart(series, log=log, title=key)))
    xk = x if x in param_keys else (sorted(differs) or param_keys or [""])[0]
    yk = y if y in metric_keys else (metric_keys or [""])[0]
    dots = None
    if xk and yk:
        have = [r for r in runs if xk in r.params and yk in r.metrics]
        xs = _numeric([r.params[xk] for r in have])
        dots = scatter([(r.run_name or r.run_id[:8], xv, r.metrics[yk])
                        for r, xv in zip(have, xs, strict=True)], xlabel=xk, ylabel=yk)
    return page(request, "compare.html", title="Compare runs", runs=runs,
                param_keys=param_keys, metric_keys=metric_keys, differs=differs,
                charts=charts, dots=dots, x=xk, y=yk, log=log,
                log_url=query_with(request, scale=None if log else "log"))
