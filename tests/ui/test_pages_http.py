"""The web UI's routes over plain HTTP: junk in every path parameter answers a 4xx page
(never a 500 or a traceback), every page carries the strict policy, form posts need
the form token, and the APIs keep answering JSON beside the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from modelyard.server.paths import API_PREFIXES, PROBES
from modelyard.server.route_rules import RULES

FILLERS = ["x", "1", "..%2f%00x", "%3Cscript%3E"]


def _ui_routes(app: Any) -> Iterator[tuple[str, str]]:
    def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield prefix + route.path, route.methods
            elif hasattr(route, "original_router"):
                ctx = getattr(route, "include_context", None)
                yield from walk(route.original_router.routes,
                                prefix + (getattr(ctx, "prefix", "") or ""))
    for path, methods in walk(list(app.routes)):
        if not path.startswith((*API_PREFIXES, *PROBES)):
            for m in sorted(methods - {"HEAD", "OPTIONS"}):
                yield m, path


def test_junk_in_every_page_route(app: Any, http: Any) -> None:
    seen = 0
    for method, route in _ui_routes(app):
        assert (method, route) in RULES
        for filler in FILLERS:
            path = re.sub(r"\{[^}]+\}", filler, route)
            if method == "GET":
                r = http.get(path)
            else:
                r = http.post(path, content=b"a=b",
                              headers={"content-type": "application/x-www-form-urlencoded"})
            assert r.status_code < 500, (method, path, r.text[:300])
            assert "Traceback" not in r.text and "<script>" not in r.text, (method, path)
            if r.headers.get("content-type", "").startswith("text/html"):
                csp = r.headers["content-security-policy"]
                assert "unsafe-inline" not in csp and "script-src 'self'" in csp
                assert r.headers["x-frame-options"] == "DENY"
            if method == "POST":
                assert r.status_code in (403, 404), (path, r.status_code)  # no form token
            seen += 1
    assert seen > 60


def test_pages_and_apis_side_by_side(http: Any) -> None:
    page = http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="/static/app.js"' in page.text and "<script>" not in page.text
    js = http.get("/static/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert http.get("/static/../ui/__init__.py").status_code == 404
    assert http.get("/static/nothing.js").status_code == 404
    missing = http.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert http.get("/health").json() == {"status": "ok"}
    nowhere = http.get("/no/such/page")
    assert nowhere.status_code == 404 and "ENDPOINT_NOT_FOUND" in nowhere.text
    assert nowhere.headers["content-type"].startswith("text/html")
