"""The remembered route choice (server/route_cache.py) changes nothing a client sees: a
fixed path asked again still goes through the app's authentication and the route's
rule, a wrong method is still refused, and a path with parameters reaches the route
the router would choose, also where two routes take it."""

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


def test_a_path_with_parameters_goes_to_the_one_route_that_takes_it(  # type: ignore[no-untyped-def]
        app, server_url: str, admin_token: str) -> None:
    auth = {"Authorization": f"Bearer {admin_token}"}
    blob = "/api/v1/blobs/sha256/" + "0" * 64
    with httpx.Client(base_url=server_url, headers=auth) as http:
        before = http.request("PATCH", blob)  # a method no route takes there
        for name in ("fraud", "a b", "churn"):
            assert http.post("/api/v1/models", json={"name": name}).status_code in (200, 201)
        first = http.get("/api/v1/models/fraud")
        assert first.status_code == 200
        assert remembered(app, "/api/v1/models/{name}")  # remembered by its route
        for name in ("fraud", "a b", "churn"):  # other values, straight to the route
            got = http.get(f"/api/v1/models/{name}")
            assert got.status_code == 200, got.text
            assert got.json()["model"]["name"] == name
        assert http.get("/api/v1/models/none-such").status_code == 404
        # The remembered route still authenticates and checks its rule.
        assert httpx.get(server_url + "/api/v1/models/fraud").status_code == 401
        assert http.get(blob).status_code == 404
        assert remembered(app, "/api/v1/blobs/sha256/{digest}")
        after = http.request("PATCH", blob)  # refused as before
        assert (after.status_code, after.json()["error_code"]) == (
            before.status_code, before.json()["error_code"])
    assert not _cache(app).chosen.keys() & {("GET", "", "/api/v1/models/churn")}


def test_a_path_two_routes_take_is_routed_in_order(app, server_url: str) -> None:  # type: ignore[no-untyped-def]
    """MLflow's UI prefix has a catch-all route after the real ones: once the catch-all
    was chosen for an unknown path, a real path it also takes still reaches its own
    route (the first in order), not the remembered one."""
    with httpx.Client(base_url=server_url) as http:
        unknown = http.get("/ajax-api/2.0/mlflow/none-such/endpoint")
        assert unknown.status_code == 404
        assert unknown.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        assert remembered(app, "/ajax-api/2.0/mlflow/{rest:path}")
        again = http.get("/ajax-api/2.0/mlflow/other/unknown")  # the catch-all alone
        assert again.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        real = http.get("/ajax-api/2.0/mlflow/registered-models/search")
        assert real.status_code == 200, real.text
        assert "error_code" not in real.json()


def remembered(app, path: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the route of ``path`` (its template) was remembered."""
    from fastapi.routing import iter_route_contexts

    routes = {id(ctx.original_route) for ctx in iter_route_contexts(app.routes)
              if ctx.path == path}
    return bool(routes & _cache(app).templates.keys())


def test_a_route_included_at_two_places_keeps_each_place_s_dependencies() -> None:
    """One router included twice shares its route objects: what was kept from one place
    must not stand in for the other, whose own dependency refuses the request."""
    import asyncio

    from fastapi import APIRouter, Depends, FastAPI, HTTPException

    from modelyard.server import route_cache

    def refuse() -> None:
        raise HTTPException(status_code=403, detail="refused here")

    items = APIRouter()

    @items.get("/items/{item}")
    def get_item(item: str) -> dict[str, str]:
        return {"item": item}

    app = FastAPI()
    app.include_router(items, prefix="/open")
    app.include_router(items, prefix="/closed", dependencies=[Depends(refuse)])
    route_cache.install(app)

    async def calls() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            for _ in range(2):
                assert (await http.get("/open/items/a")).json() == {"item": "a"}
                assert (await http.get("/open/items/b")).json() == {"item": "b"}
                assert (await http.get("/closed/items/a")).status_code == 403

    asyncio.run(calls())
