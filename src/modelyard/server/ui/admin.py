"""Datasets pages, the audit log, the admin pages (users, tokens, roles) with their
simple actions, and the login page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from modelyard.domain.entities import LineageNode
from modelyard.errors import InvalidParameter
from modelyard.server.ui import csrf
from modelyard.server.ui.common import (
    attempt,
    principal,
    query_with,
    see_other,
    services,
    since_ms,
)
from modelyard.server.ui.governance import login_form
from modelyard.server.ui.render import page

router = APIRouter()


@router.get("/datasets", response_class=HTMLResponse, include_in_schema=False)
def datasets_list(request: Request, q: str = "", page_token: str | None = None) -> HTMLResponse:
    s, who = services(request), principal(request)
    found = s.datasets.list_datasets(who, q or None, 100, page_token)
    nxt = found.next_page_token
    return page(request, "datasets.html", title="Datasets", datasets=found.items, q=q,
                next_url=query_with(request, page_token=nxt) if nxt else None)


def _runs_using(request: Request, name: str, version: int) -> list[LineageNode]:
    s, who = services(request), principal(request)
    graph = attempt(s.lineage.lineage, who, f"dataset-version:{name}/{version}",
                    "downstream", 1)
    return [n for n in graph.nodes if n.type == "run"] if graph is not None else []


@router.get("/datasets/{name}", response_class=HTMLResponse, include_in_schema=False)
def dataset_page(request: Request, name: str, version: str = "") -> HTMLResponse:
    s, who = services(request), principal(request)
    ds = s.datasets.get_dataset(who, name)
    versions = s.datasets.list_dataset_versions(who, name)
    chosen = s.datasets.get_dataset_version(who, name, version or "latest", with_files=True) \
        if versions else None
    columns = (chosen.profile or {}).get("columns") or [] if chosen else []
    stat_keys = sorted({k for c in columns if isinstance(c, dict) for k in c} - {"name"})
    return page(request, "dataset.html", title=ds.name, ds=ds, versions=versions,
                chosen=chosen, columns=[c for c in columns if isinstance(c, dict)],
                stat_keys=stat_keys,
                used_by=_runs_using(request, name, chosen.version) if chosen else [])


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit_page(request: Request, entity_type: str = "", entity_id: str = "",
               type: str = "", model: str = "", user: str = "", since: str = "",
               page_token: str | None = None) -> HTMLResponse:
    """The event log with the audit filters: entity, event type (a prefix, or exact
    types separated by commas), model, acting user, and since (``7d``, ``12h``, ``30m``
    ago or an ISO 8601 time)."""
    s, who = services(request), principal(request)
    error = None
    exact = [t.strip() for t in type.split(",") if t.strip()] if "," in type else None
    try:
        found = s.audit.list_events(who, entity_type=entity_type or None,
                                    entity_id=entity_id or None,
                                    type_prefix=None if exact else (type or None), types=exact,
                                    model=model or None, user=user or None,
                                    since=since_ms(since) if since else None,
                                    newest_first=True, max_results=100,
                                    page_token=page_token)
        events, nxt = found.items, found.next_page_token
    except InvalidParameter as exc:
        events, nxt, error = [], None, exc.message
    return page(request, "audit.html", title="Audit log", events=events, error=error,
                entity_type=entity_type, entity_id=entity_id, type=type, model=model,
                user=user, since=since,
                next_url=query_with(request, page_token=nxt) if nxt else None)


@router.get("/admin/users", response_class=HTMLResponse, include_in_schema=False)
def users_page(request: Request) -> HTMLResponse:
    s, who = services(request), principal(request)
    return page(request, "users.html", title="Users", users=s.access.list_users(who))


@router.post("/admin/users/{name}/disabled", include_in_schema=False)
async def set_disabled(request: Request, name: str) -> RedirectResponse:
    fields = await csrf.form(request)
    s, who = services(request), principal(request)
    s.access.update_user(who, name, disabled=fields.get("disabled") == "1")
    return see_other("/admin/users")


@router.get("/admin/tokens", response_class=HTMLResponse, include_in_schema=False)
def tokens_page(request: Request) -> HTMLResponse:
    s, who = services(request), principal(request)
    return page(request, "tokens.html", title="Tokens",
                tokens=s.access.list_tokens(who, all_users=True))


@router.post("/admin/tokens/{token_id}/revoke", include_in_schema=False)
async def revoke_token(request: Request, token_id: str) -> RedirectResponse:
    await csrf.form(request)
    s, who = services(request), principal(request)
    s.access.revoke_token(who, token_id)
    return see_other("/admin/tokens")


@router.get("/admin/roles", response_class=HTMLResponse, include_in_schema=False)
def roles_page(request: Request) -> HTMLResponse:
    s, who = services(request), principal(request)
    return page(request, "roles.html", title="Roles", grants=s.access.list_grants(who))


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """Sign in with a password or a token (the forms post to ``POST /login``), and the
    single sign-on button when the server has an OIDC issuer."""
    return login_form(request, next)
