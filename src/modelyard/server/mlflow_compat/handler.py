"""A lean request handler for MLflow endpoints whose inputs are all request-only
dependencies (``Args``, ``Svc``, ``Who`` and the app-wide ``authenticate``).

FastAPI's handler solves the dependency tree of every request anew: for each
dependency it computes a cache key (scopes, security schemes, generator checks),
builds the query, header, cookie and body parameters it does not have, and collects
errors; for a get-by-alias that was about 0.1 ms of the server's 0.5 ms, more than the
query it answers.  Nearly every MLflow endpoint takes nothing but dependencies of the
request alone, so :func:`lean_handler` resolves the route's dependency list once, when
the route is built, into the list of coroutines to await, and each request awaits
them in FastAPI's order (the app-wide dependencies first: authentication and the
route's permission rule, then the endpoint's own, each once), then runs the endpoint
in the thread pool, JSON answer included.  Errors take the same way out as before
(the route's exception handlers).  A route with anything else (a path parameter, a
``Request`` argument, a generator, a sub-dependency) gets FastAPI's handler: the
function returns None for it.  (FastAPI's optional OpenTelemetry spans of a route's
dependencies and endpoint, which modelyard does not configure, are not recorded on
these routes; the request's own span still is.  ``app.dependency_overrides``, which
modelyard does not use, does not reach them either.)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable, Coroutine
from types import ModuleType
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

orjson: ModuleType | None
try:  # an optional dependency (the "serve" extra): the standard library does the same job
    import orjson
except ImportError:  # pragma: no cover - installed in the test environment
    orjson = None

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# The fields of a Dependant that mean "this needs more than the request".
_OTHER_INPUTS = ("path_params", "query_params", "header_params", "cookie_params",
                 "body_params", "dependencies")
_SPECIAL = ("websocket_param_name", "http_connection_param_name", "response_param_name",
            "background_tasks_param_name", "security_scopes_param_name")


def _request_only(dep: Dependant) -> bool:
    """A coroutine of the request alone: ``async def f(request: Request)``."""
    call = dep.call
    if call is None or not inspect.iscoroutinefunction(call):
        return False
    if any(getattr(dep, name) for name in _OTHER_INPUTS + _SPECIAL):
        return False
    if dep.own_oauth_scopes or dep.request_param_name is None or not dep.use_cache:
        return False
    return len(inspect.signature(call).parameters) == 1


def json_response(content: Any, status_code: int = 200) -> Response:
    """``content`` as JSON, as Starlette's JSONResponse writes it (compact, UTF-8, no
    NaN), by orjson where it is installed (several times faster on a page of 100 runs,
    where encoding was a tenth of the call); what orjson refuses (an integer beyond 64
    bits, say) and a NaN it would write as null go to the standard library as before."""
    if orjson is not None:
        try:
            # What the standard library refuses (a dataclass, a datetime) orjson
            # refuses too, so that an internal record never goes out by mistake.
            body = orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS
                                | orjson.OPT_PASSTHROUGH_DATACLASS
                                | orjson.OPT_PASSTHROUGH_DATETIME)
        except (TypeError, ValueError):
            pass
        else:
            if b"null" not in body or _no_nan(content):
                return Response(body, status_code=status_code, media_type="application/json")
    return JSONResponse(content, status_code=status_code)


def _no_nan(value: Any) -> bool:
    """No NaN or infinity anywhere in ``value`` (Starlette's JSON refuses them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_no_nan(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_no_nan(v) for v in value)
    return True


def answer(result: Any, status_code: int | None) -> Response:
    """The response for what an endpoint returned, as FastAPI would build it with no
    response model: a Response as it is, anything else as JSON (a dict as it is)."""
    if isinstance(result, Response):
        return result
    content = result if isinstance(result, dict) else jsonable_encoder(result)
    return json_response(content, status_code or 200)


def lean_handler(dependant: Dependant, status_code: int | None) -> Handler | None:
    """The handler of a route whose dependant takes only request-only dependencies,
    or None (see the module docs)."""
    endpoint = dependant.call
    if endpoint is None:
        return None
    inner = inspect.unwrap(endpoint)
    if inspect.isgeneratorfunction(inner) or inspect.isasyncgenfunction(inner):
        return None
    if any(getattr(dependant, name) for name in _OTHER_INPUTS[:-1] + _SPECIAL) \
            or dependant.request_param_name is not None:
        return None
    if not all(_request_only(dep) for dep in dependant.dependencies):
        return None
    # (call, the keyword the endpoint takes its value as, or None), in FastAPI's order;
    # a call that appears twice runs once, as FastAPI's per-request cache does.
    steps: list[tuple[Callable[[Request], Awaitable[Any]], str | None]] = [
        (dep.call, dep.name) for dep in dependant.dependencies if dep.call is not None]
    is_async = inspect.iscoroutinefunction(endpoint)

    def respond(values: dict[str, Any]) -> Response:
        return answer(endpoint(**values), status_code)

    async def handle(request: Request) -> Response:
        done: dict[Any, Any] = {}
        values: dict[str, Any] = {}
        for call, name in steps:
            if call in done:
                value = done[call]
            else:
                value = done[call] = await call(request)
            if name is not None:
                values[name] = value
        if is_async:
            return answer(await endpoint(**values), status_code)
        return await run_in_threadpool(respond, values)

    return handle
