"""The remembered route choice (server/route_cache.py) changes nothing a client sees: a
fixed path asked again still goes through the app's authentication and the route's
rule, a wrong method is still refused, and paths with parameters are routed as always."""

from __future__ import annotations

import httpx

from modelyard.server.route_cache import RouteCache

ALIAS = "/api/2.0/mlflow/registered-models/alias"
SEARCH = "/api/2.0/mlflow/registered-models/search"


def _cache(app) -> RouteCache:  # type: ignore[no-untyped-def]
    cache = app.router.middleware_stack
    assert isinstance(cache, RouteCache)
    return cache


def test_cached_path_still_needs_a_credential(app, server_url: str,  # type: ignore[no-untyped-def]
                                              admin_token: str) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server_url) as http:
        for _ in range(3):
            assert http.get(SEARCH, headers=auth).status_code == 200
            refused = http.get(SEARCH)
            assert refused.status_code == 401, refused.text
            assert refused.json()["error_code"] == "UNAUTHENTICATED"
            bad = http.get(SEARCH, headers={"Authorization": "Bearer not-a-token"})
            assert bad.status_code == 401
    assert ("GET", "", SEARCH) in _cache(app).chosen


def test_read_only_token_refused_on_a_cached_write(app, server_url: str,  # type: ignore[no-untyped-def]
                                                   services, admin_token: str) -> None:
    root = services.access.authenticate_token(admin_token)
    reader = services.access.create_token(root, "reader", scope="read").secret
    body = {"name": "m", "alias": "a", "version": "1"}
    with httpx.Client(base_url=server_url) as http:
        for _ in range(3):
            write = http.post(ALIAS, json=body, headers={"Authorization": f"Bearer {reader}"})
            assert write.status_code == 403, write.text
            assert write.json()["error_code"] == "PERMISSION_DENIED"


def test_wrong_method_and_parameter_paths_are_routed_as_always(app, server_url: str) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=server_url) as http:
        for _ in range(3):
            wrong = http.put(SEARCH, json={})
            assert wrong.status_code == 404, wrong.text  # MLflow's answer: no such endpoint
            assert wrong.json()["error_code"] == "ENDPOINT_NOT_FOUND"
            assert http.get("/api/v1/models/none-such").status_code == 404
            assert http.get("/health").status_code == 200
    chosen = _cache(app).chosen
    assert ("PUT", "", SEARCH) not in chosen
    assert not any("none-such" in path for _, _, path in chosen)
    assert ("GET", "", "/health") in chosen
