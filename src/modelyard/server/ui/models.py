"""Pages of registered models: the searchable list (also the root page) and a model's
page, and the alias form a maintainer moves an alias with."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from modelyard.domain.entities import ModelVersion
from modelyard.domain.validation import is_ascii_int
from modelyard.errors import InvalidParameter
from modelyard.server.ui import csrf
from modelyard.server.ui.common import (
    attempt,
    principal,
    query_with,
    quote_key,
    quote_value,
    see_other,
    services,
)
from modelyard.server.ui.governance import policy_of
from modelyard.server.ui.render import page, seg

router = APIRouter()
PAGE_SIZE = 50
MAX_QUICK_PAGES = 10  # a stage or alias quick filter looks at 10,000 versions at most
ORDERS = {"updated": "updated_at DESC", "name": "name ASC", "created": "created_at DESC"}


class _NoMatch(Exception):
    """A quick filter that no model passes: no search at all."""


def _model_filter(request: Request, q: str, tag: str, stage: str, alias: str,
                  project: str) -> str | None:
    """The user's filter and the quick filters, joined with AND.  Stage and alias are
    properties of versions: the models that have such a version."""
    s, who = services(request), principal(request)
    parts = [f"({q})"] if q.strip() else []
    if tag:
        key, _, value = tag.partition("=")
        try:
            field = quote_key("tags", key.strip())
        except ValueError:
            raise InvalidParameter("a tag key must not contain a back-quote") from None
        parts.append(f"{field} = {quote_value(value.strip())}" if value else f"{field} IS NOT NULL")
    if project:
        parts.append(f"project = {quote_value(project)}")
    for field, value in (("stage", stage), ("alias", alias)):
        if value:
            names_found: set[str] = set()
            token = None
            for _ in range(MAX_QUICK_PAGES):
                found = s.registry.search_versions(who, f"{field} = {quote_value(value)}",
                                                   max_results=1000, page_token=token)
                names_found.update(v.model for v in found.items)
                token = found.next_page_token
                if not token:
                    break
            if not names_found:
                raise _NoMatch
            names = sorted(names_found)
            parts.append("name IN (" + ", ".join(quote_value(n) for n in names) + ")")
    return " AND ".join(parts) or None


def _stages_of(request: Request, names: list[str]) -> dict[str, dict[str, list[int]]]:
    """Model -> stage -> version numbers, for the versions not in stage None."""
    if not names:
        return {}
    s, who = services(request), principal(request)
    found = s.registry.search_versions(
        who, "name IN (" + ", ".join(quote_value(n) for n in names) + ") AND stage != 'None'",
        max_results=1000)
    out: dict[str, dict[str, list[int]]] = {}
    for v in found.items:
        out.setdefault(v.model, {}).setdefault(v.stage, []).append(v.version)
    return out


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/models", response_class=HTMLResponse, include_in_schema=False)
def models_list(request: Request, q: str = "", tag: str = "", stage: str = "",
                alias: str = "", project: str = "", order: str = "updated",
                kind: str = "model", page_token: str | None = None) -> HTMLResponse:
    """The models; MLflow's prompts (models tagged as prompts) with ``kind=prompt``
    or ``kind=all``."""
    s, who = services(request), principal(request)
    error = None
    try:
        filt = _model_filter(request, q, tag, stage, alias, project)
        found = s.registry.search_models(who, filt, [ORDERS.get(order, ORDERS["updated"])],
                                         PAGE_SIZE, page_token, kind=kind)
        models, next_token = found.items, found.next_page_token
    except InvalidParameter as exc:
        models, next_token, error = [], None, exc.message
    except _NoMatch:
        models, next_token = [], None
    projects = attempt(s.registry.list_projects, who, default=[])
    return page(request, "models.html", title="Models", models=models, error=error,
                stages=_stages_of(request, [m.name for m in models]),
                q=q, tag=tag, stage=stage, alias=alias, project=project, order=order, kind=kind,
                projects=projects, stage_names=s.registry.policy.stages,
                next_url=query_with(request, page_token=next_token) if next_token else None,
                first_url=query_with(request, page_token=None) if page_token else None)


def _sort_versions(items: list[ModelVersion], sort: str) -> list[ModelVersion]:
    desc = sort.startswith("-")
    key = sort.lstrip("-")
    if key.startswith("metric:"):
        name = key[len("metric:"):]
        present = [v for v in items if name in v.metrics]
        absent = [v for v in items if name not in v.metrics]
        return sorted(present, key=lambda v: v.metrics[name], reverse=desc) + absent
    attr: dict[str, Any] = {"version": lambda v: v.version, "created": lambda v: v.created_at,
                            "stage": lambda v: v.stage, "size": lambda v: v.size}
    return sorted(items, key=attr.get(key, attr["version"]), reverse=desc)


@router.get("/models/{name}", response_class=HTMLResponse, include_in_schema=False)
def model_page(request: Request, name: str, sort: str = "-version",
               metrics: list[str] = Query(default=[]),
               page_token: str | None = None) -> HTMLResponse:
    s, who = services(request), principal(request)
    model = s.registry.get_model(who, name)
    found = s.registry.search_versions(who, f"name = {quote_value(name)}", ["version DESC"],
                                       100, page_token)
    versions = _sort_versions(found.items, sort)
    metric_keys = sorted({k for v in found.items for k in v.metrics})
    chosen = [m for c in metrics for m in c.split(",") if m] or metric_keys[:3]
    allowed = s.registry.permissions_on(who, name)
    grants = attempt(s.access.list_grants, who, model=name, default=None) \
        if "manage" in allowed else None
    return page(request, "model.html", title=model.name, model=model, versions=versions,
                sort=sort, metric_keys=metric_keys, chosen=chosen, grants=grants,
                may_manage="manage" in allowed, policy=policy_of(request, model.project),
                next_url=query_with(request, page_token=found.next_page_token)
                if found.next_page_token else None)


@router.post("/models/{name}/aliases", include_in_schema=False)
async def move_alias(request: Request, name: str) -> RedirectResponse:
    """Set (or with ``delete``, remove) an alias; the domain decides who may."""
    fields = await csrf.form(request)
    s, who = services(request), principal(request)
    alias = fields.get("alias", "").strip()
    if fields.get("delete"):
        s.registry.delete_alias(who, name, alias)
        return see_other(f"/models/{seg(name)}")
    version = fields.get("version", "").strip()
    if not is_ascii_int(version) or len(version) > 18:
        raise InvalidParameter("version must be a version number")
    s.registry.set_alias(who, name, alias, int(version))
    back = fields.get("back", "")
    if back.startswith("/models/"):
        return see_other(back)
    return see_other(f"/models/{seg(name)}/versions/{version}")
