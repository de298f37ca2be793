"""Route selection remembered per fixed path: a request to a path without parameters goes
straight to the route the router chose for it the first time.

FastAPI finds a request's route by trying every route of every included router in
order, and with routers included in routers it tries the same routes again on the way
down (to match, then to handle): a call of the MLflow-compatible API went through some
150-300 path matches (0.3-0.4 ms, a quarter of a get-by-alias on the server) before
its first line ran.  Nearly every MLflow path is fixed (its fields are in the query
string or the body), so for a ``(method, path)`` whose chosen route has no path
parameters the choice can only ever be the same one.

:class:`RouteCache` wraps the router: the first request of a ``(method, path)`` is
routed as always; the scope entries the router set when it chose (the route, its
endpoint, the router and FastAPI's own routing state) are kept when the chosen route
has no parameters and accepts the method; the next requests get a copy of those
entries and are handed to the route directly.  Routes with path parameters, a path no
route accepts (404, 405) and anything but HTTP are routed as always.  The table of
routes is fixed once the app serves (``create_app`` builds it), and a cached path is a
literal one route matches, so the table stays as small as the number of fixed routes.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

# The scope entries the router sets while it chooses a route (Starlette's, FastAPI's).
_ROUTING_KEYS = ("router", "endpoint", "route", "fastapi")


class RouteCache:
    """ASGI wrapper of an app's router: see the module docs."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.chosen: dict[tuple[str, str, str], dict[str, Any]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        entries = self.chosen.get(key)
        if entries is not None:
            for name, value in entries.items():
                scope[name] = dict(value) if isinstance(value, dict) else value
            scope["path_params"] = {}
            await entries["route"].handle(scope, receive, send)
            return
        seen = False

        async def noting(message: Any) -> None:
            # At the start of the response the route was chosen (or none was).
            nonlocal seen
            if not seen:
                seen = True
                self._remember(key, scope)
            await send(message)

        await self.app(scope, receive, noting)

    def _remember(self, key: tuple[str, str, str], scope: Any) -> None:
        route = scope.get("route")
        if (not isinstance(route, Route) or route.param_convertors or scope.get("path_params")
                or (route.methods is not None and key[0] not in route.methods)):
            return
        # A copy: FastAPI keeps only routing state under "fastapi" (the included router,
        # the route's context with the app's dependencies, form limits).
        self.chosen[key] = {name: dict(scope[name]) if isinstance(scope[name], dict)
                            else scope[name] for name in _ROUTING_KEYS if name in scope}


def install(app: Any) -> None:
    """Put a :class:`RouteCache` between the app's middleware and its router."""
    router = app.router
    if router.middleware_stack != router.app:
        return  # the router has middleware of its own: route as always
    router.middleware_stack = RouteCache(router.app)
