"""Default deny: every route of the app (native, MLflow, docs, and whatever is added
later) has an explicit rule in the one permission table, and the table names no
route that does not exist."""

from __future__ import annotations

from typing import Any

from modelyard.server.route_rules import RULES, rule_for


def _walk(routes: list[Any], prefix: str = "") -> Any:
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            ctx = getattr(route, "include_context", None)
            yield from _walk(route.original_router.routes,
                             prefix + (getattr(ctx, "prefix", "") or ""))
        else:
            methods = getattr(route, "methods", None) or {"GET"}  # a Mount serves GET
            for method in sorted(set(methods) - {"HEAD", "OPTIONS"}):
                yield method, prefix + route.path


def test_every_route_has_a_rule_and_every_rule_a_route(app) -> None:  # type: ignore[no-untyped-def]
    routes = set(_walk(list(app.routes)))
    assert len(routes) > 150
    missing = sorted(f"{m} {p}" for m, p in routes if rule_for(m, p) is None)
    assert missing == [], "routes without a rule in server/route_rules.py: " + ", ".join(missing)
    stale = sorted(f"{m} {p}" for m, p in RULES if (m, p) not in routes)
    assert stale == [], "rules for routes that do not exist: " + ", ".join(stale)


def test_only_probes_docs_and_login_are_public() -> None:
    public = sorted(p for (_, p), rule in RULES.items() if rule == "public")
    # The login routes authenticate their own request (tests/access/test_sso.py); an
    # upload part's URL carries its own signature (tests/api/test_uploads.py).
    assert public == ["/api/v1/docs", "/api/v1/docs/assets", "/api/v1/docs/init.js",
                      "/api/v1/openapi.json", "/api/v1/uploads/{upload_id}/parts/{part}",
                      "/api/v1/version", "/auth/login",
                      "/auth/logout", "/auth/oidc/callback", "/auth/oidc/login", "/health",
                      "/login", "/login", "/logout", "/ready", "/static/{name}",
                      "/version"]


def test_a_route_without_a_rule_is_refused(app, http, admin_token) -> None:  # type: ignore[no-untyped-def]
    @app.get("/api/v1/unlisted")
    def unlisted() -> dict[str, str]:
        return {"ok": "yes"}

    resp = http.get("/api/v1/unlisted", headers={"Authorization": f"Bearer {admin_token}"})
    assert resp.status_code == 403 and resp.json()["error_code"] == "PERMISSION_DENIED"
    assert "no access rule" in resp.json()["message"]


def test_admin_routes_refuse_others(http, admin_token) -> None:  # type: ignore[no-untyped-def]
    from modelyard.client.http import HttpClient

    with HttpClient(str(http.base_url), token=admin_token) as root:
        root.create_user("alice", password="alice-password")
        t = root.create_token("a", user="alice")
    h = {"Authorization": f"Bearer {t.secret}", "content-type": "application/json"}
    assert http.post("/api/v1/admin/gc", headers=h, content=b"{}").status_code == 403
    assert http.get("/api/v1/users", headers=h).status_code == 403
    root_h = {"Authorization": f"Bearer {admin_token}", "content-type": "application/json"}
    assert http.post("/api/v1/admin/gc", headers=root_h, content=b"{}").status_code == 200
