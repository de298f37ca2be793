"""Route selection remembered: a request to a path without parameters goes straight to
the route the router chose for it the first time, and one with parameters to the route
chosen before for its kind of path when no other route could take it.

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
entries and are handed to the route directly.  A path no route accepts (404, 405) and
anything but HTTP are routed as always.  The table of routes is fixed once the app
serves (``create_app`` builds it, and nothing adds, removes or reorders a route
afterwards: both shortcuts rely on it), and a cached path is a literal one route
matches, so the table stays as small as the number of fixed routes.

A path with parameters (``/api/v1/blobs/sha256/{digest}``, every model's own pages) is
new nearly every time, so it cannot be remembered by its text.  Instead, the route
chosen for such a path is remembered, and a later request is handed to it directly
only when it is the one route of the whole app whose pattern takes that path for that
method: the router takes the first route that does, and when exactly one does, that
is the one, whatever the order.  The routes are read once, when the first request
with parameters arrives after such a route was remembered, through FastAPI's public
``iter_route_contexts``: each with its full path, its pattern and its methods.  A
route whose pattern is not known (none in this app), or one route object included at
two places (the entries kept from one place would carry that place's dependencies to
the other), turns the shortcut off, as does a root path (a server mounted under a
prefix).  The check looks at the routes whose path starts with the same literal text
as the request (a string comparison each) and runs the pattern of those alone.  For a
blob's PUT, sampled under 1,000 uploads of 64 KiB, choosing the route had been 14% of
the server's time.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from fastapi.routing import iter_route_contexts
from starlette.routing import Route

# The scope entries the router sets while it chooses a route (Starlette's, FastAPI's).
_ROUTING_KEYS = ("router", "endpoint", "route", "fastapi")


class _Pattern(NamedTuple):
    """One route of the app as the check of a path with parameters sees it."""

    head: str  # its path up to the first parameter: a path it takes starts so
    regex: re.Pattern[str]
    methods: frozenset[str] | None  # None: every method
    convertors: dict[str, Any]
    route: Any  # what the router puts in the scope as "route" when it chooses it


class RouteCache:
    """ASGI wrapper of an app's router: see the module docs."""

    def __init__(self, app: Any, router: Any) -> None:
        self.app = app
        self.router = router  # whose routes ``app`` chooses from
        self.chosen: dict[tuple[str, str, str], dict[str, Any]] = {}
        # Routes with parameters the router chose at least once: their scope entries.
        self.templates: dict[int, dict[str, Any]] = {}
        self._patterns: list[_Pattern] | None = None
        self._shortcut = True

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        entries = self.chosen.get(key)
        if entries is not None:
            self._enter(scope, entries, {})
            await entries["route"].handle(scope, receive, send)
            return
        if self.templates and not scope.get("root_path"):
            found = self._only_route(scope)
            if found is not None:
                entries, params = found
                self._enter(scope, entries, params)
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

    @staticmethod
    def _enter(scope: Any, entries: dict[str, Any], params: dict[str, Any]) -> None:
        for name, value in entries.items():
            scope[name] = dict(value) if isinstance(value, dict) else value
        scope["path_params"] = params

    def _only_route(self, scope: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The remembered entries of the one route of the app that takes this path and
        method, with the path's parameters; None when none does, several do, or the
        one that does was not chosen by the router before."""
        patterns = self._routes()
        if patterns is None:
            return None
        path, method = scope["path"], scope["method"]  # (no root path: see the caller)
        match: tuple[_Pattern, re.Match[str]] | None = None
        for p in patterns:
            if not path.startswith(p.head) or (p.methods is not None and method not in p.methods):
                continue
            found = p.regex.match(path)
            if found is None:
                continue
            if match is not None:
                return None  # two routes take it: the router's order decides
            match = (p, found)
        if match is None:
            return None
        p, found = match
        entries = self.templates.get(id(p.route))
        if entries is None:
            return None
        params = {k: p.convertors[k].convert(v) for k, v in found.groupdict().items()}
        return entries, params

    def _routes(self) -> list[_Pattern] | None:
        if self._patterns is None and self._shortcut:
            patterns = []
            seen: set[int] = set()
            for ctx in iter_route_contexts(self.router.routes):
                if id(ctx.original_route) in seen:
                    self._shortcut = False  # one route at two places: see the module docs
                    return None
                seen.add(id(ctx.original_route))
                path, regex = ctx.path, getattr(ctx, "path_regex", None)
                if not isinstance(path, str) or not isinstance(regex, re.Pattern):
                    self._shortcut = False  # a route this check cannot judge
                    return None
                methods = ctx.methods
                patterns.append(_Pattern(path.split("{", 1)[0], regex,
                                         frozenset(methods) if methods else None,
                                         dict(getattr(ctx, "param_convertors", None) or {}),
                                         ctx.original_route))
            self._patterns = patterns
        return self._patterns

    def _remember(self, key: tuple[str, str, str], scope: Any) -> None:
        route = scope.get("route")
        if (not isinstance(route, Route)
                or (route.methods is not None and key[0] not in route.methods)):
            return
        # A copy: FastAPI keeps only routing state under "fastapi" (the included router,
        # the route's context with the app's dependencies, form limits).
        entries = {name: dict(scope[name]) if isinstance(scope[name], dict)
                   else scope[name] for name in _ROUTING_KEYS if name in scope}
        if route.param_convertors or scope.get("path_params"):
            self.templates.setdefault(id(route), entries)
        else:
            self.chosen[key] = entries


def install(app: Any) -> None:
    """Put a :class:`RouteCache` between the app's middleware and its router."""
    router = app.router
    if router.middleware_stack != router.app:
        return  # the router has middleware of its own: route as always
    router.middleware_stack = RouteCache(router.app, router)
