"""A model version's page (files, flavor, signature, source run, lineage picture, audit
trail) and the diff of two versions of a model."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelyard.domain.entities import Event, ModelVersion, Run
from modelyard.server.ui.common import attempt, principal, quote_value, services
from modelyard.server.ui.governance import version_context
from modelyard.server.ui.graph import lineage_svg
from modelyard.server.ui.render import page

router = APIRouter()


def signature_rows(signature: dict[str, Any] | None) -> dict[str, list[dict[str, str]]]:
    """``{"inputs": [{name, type, shape}], "outputs": [...]}`` from the shapes a
    signature comes in (a list of column specs, or MLflow's JSON text of one)."""
    out: dict[str, list[dict[str, str]]] = {}
    for part in ("inputs", "outputs", "params"):
        raw: Any = (signature or {}).get(part)
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = [{"name": raw}]
        if isinstance(raw, dict):
            raw = [{"name": k, "type": v} for k, v in raw.items()]
        if isinstance(raw, list) and raw:
            out[part] = [{"name": str(c.get("name", "")) if isinstance(c, dict) else str(c),
                          "type": str(c.get("type", "")) if isinstance(c, dict) else "",
                          "shape": str(c.get("shape", "")) if isinstance(c, dict)
                          and "shape" in c else ""} for c in raw]
    return out


def _trail(request: Request, name: str, number: int) -> list[Event]:
    s, who = services(request), principal(request)
    events = attempt(s.audit.list_events, who, model=name, newest_first=True,
                     max_results=1000, default=None)
    if events is None:
        return []
    ident = f"{name}/{number}"
    mine = []
    for e in events.items:
        about_alias = e.entity_type == "alias" and number in (
            (e.before or {}).get("version"), (e.after or {}).get("version"))
        if about_alias or (e.entity_type == "version" and e.entity_id == ident):
            mine.append(e)
    return mine[:200]


def _run(request: Request, run_id: str | None) -> Run | None:
    if not run_id:
        return None
    s, who = services(request), principal(request)
    found: Run | None = attempt(s.tracking.get_run, who, run_id)
    return found


@router.get("/models/{name}/versions/{version}", response_class=HTMLResponse,
            include_in_schema=False)
def version_page(request: Request, name: str, version: str) -> HTMLResponse:
    s, who = services(request), principal(request)
    v = s.registry.get_version(who, name, version, with_files=True)
    model = s.registry.get_model(who, name)
    graph = attempt(s.lineage.lineage, who, f"model-version:{name}/{v.version}", "both", 3)
    allowed = s.registry.permissions_on(who, name)
    others = s.registry.search_versions(who, f"name = {quote_value(name)}",
                                        ["version DESC"], 100).items
    return page(request, "version.html", title=f"{name} v{v.version}", model=model, v=v,
                run=_run(request, v.run_id), signature=signature_rows(v.signature),
                lineage=lineage_svg(graph) if graph is not None else None,
                trail=_trail(request, name, v.version), may_manage="manage" in allowed,
                others=[o.version for o in others if o.version != v.version],
                gov=version_context(request, model, v, "manage" in allowed))


def _files_diff(a: ModelVersion, b: ModelVersion) -> list[dict[str, Any]]:
    fa = {f.path: f for f in a.files or []}
    fb = {f.path: f for f in b.files or []}
    rows = []
    for path in sorted(fa.keys() | fb.keys()):
        x, y = fa.get(path), fb.get(path)
        change = ("added" if x is None else "removed" if y is None
                  else "same" if x.sha256 == y.sha256 else "changed")
        rows.append({"path": path, "change": change, "a": x, "b": y})
    return rows


def _dict_diff(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "a": a.get(k), "b": b.get(k), "same": a.get(k) == b.get(k)}
            for k in sorted(a.keys() | b.keys())]


@router.get("/models/{name}/diff", response_class=HTMLResponse, include_in_schema=False)
def diff_page(request: Request, name: str, a: str = "", b: str = "") -> HTMLResponse:
    s, who = services(request), principal(request)
    model = s.registry.get_model(who, name)
    latest = model.latest_version or 1
    va = s.registry.get_version(who, name, a or max(latest - 1, 1), with_files=True)
    vb = s.registry.get_version(who, name, b or latest, with_files=True)
    ra, rb = _run(request, va.run_id), _run(request, vb.run_id)
    sa, sb = signature_rows(va.signature), signature_rows(vb.signature)
    return page(request, "diff.html", title=f"{name}: v{va.version} vs v{vb.version}",
                model=model, va=va, vb=vb, files=_files_diff(va, vb),
                params=_dict_diff(ra.params if ra else {}, rb.params if rb else {}),
                metrics=_dict_diff({**(ra.metrics if ra else {}), **va.metrics},
                                   {**(rb.metrics if rb else {}), **vb.metrics}),
                signature=_dict_diff(
                    {f"{p}.{c['name']}": c["type"] for p, cols in sa.items() for c in cols},
                    {f"{p}.{c['name']}": c["type"] for p, cols in sb.items() for c in cols}))
