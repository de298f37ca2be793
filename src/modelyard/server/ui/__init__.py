"""The web UI: server-rendered pages (Jinja2) over the domain services, an adapter
beside ``api_v1`` and ``mlflow_compat`` under the same permission rules.

Pages live at ``/`` (the models list, and the page whose script follows the links the
mlflow client prints, ``/#/experiments/<id>/runs/<run_id>``), ``/models``,
``/experiments``, ``/runs``, ``/compare``, ``/datasets``, ``/audit``, ``/admin`` and
``/login`` (with ``POST /login`` and ``POST /logout``); the script and style sheet are ``/static/app.js`` and ``/static/app.css``,
our own files in this package.  Nothing here shadows ``/api``, ``/ajax-api``,
``/health`` or ``/version``.  Errors on these pages are pages too (:func:`error_page`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from modelyard.server.paths import API_PREFIXES, PROBES
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from fastapi.responses import RedirectResponse, Response

from modelyard.server.errors import request_id
from modelyard.server.sso.credentials import COOKIE as SESSION_COOKIE
from modelyard.server.ui import admin, governance, models, runs, versions, webhooks
from modelyard.server.ui.render import page

STATIC = Path(__file__).parent / "static"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_NOT_PAGES = (*API_PREFIXES, *PROBES, "/static/")


def router() -> APIRouter:
    r = APIRouter()
    parts = (models.router, versions.router, runs.router, admin.router, governance.router,
             webhooks.router)

    @r.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        path = STATIC / name
        if name not in _ASSETS or not path.is_file():
            return Response(status_code=404)
        return Response(path.read_bytes(), media_type=_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=3600"})

    for route in [*r.routes, *(route for part in parts for route in part.routes)]:
        if isinstance(route, APIRoute) and route.methods and "GET" in route.methods:
            route.methods.add("HEAD")  # a page answers HEAD as GET (monitors, link checkers)
    for part in parts:
        r.include_router(part)
    return r


_ASSETS = frozenset(p.name for p in STATIC.iterdir() if p.suffix in _TYPES)


def is_page(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(_NOT_PAGES) and request.method in ("GET", "HEAD", "POST")


def error_page(request: Request, status: int, code: str, message: str) -> Response | None:
    """The page for an error on a UI route (None: not a UI route, answer JSON).  Asked to
    authenticate, a browser is sent to the login page (dropping a session cookie that
    no longer works)."""
    if not is_page(request):
        return None
    if status == 401 and request.method != "POST":
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse("/login?next=" + quote(nxt, safe=""), status_code=303)
        if request.cookies.get(SESSION_COOKIE):  # ended or expired: sign in afresh
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response
    return page(request, "error.html", status=status, title=f"{status}", code=code, status_code=status,
                message=message, request_id=request_id.get())
