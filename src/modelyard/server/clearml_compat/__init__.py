"""The ClearML-compatible API (``/clearml/api``) and file server (``/clearml/files``):
a translation onto the same domain services as ``/api/v1``, so the unmodified clearml
SDK (2.1.x, API dialect 2.23) records, registers, queries and downloads models here.

One module per area: ``auth_api`` (``auth.login`` and its JWT, :mod:`.jwt_token`),
``projects``, ``tasks``, ``models`` (documents in ``docs`` / ``modeldocs``),
``events``, ``files`` (paths in ``paths``), ``weblinks`` (the web links the SDK
prints, redirected to modelyard's pages); ``wire`` holds the envelope and request
decoding, ``query`` the name and tag filters.  Every call is ``/clearml/api/v<ver>/
<service>.<action>``, as GET with a JSON body or as POST; every answer is an envelope,
an unknown endpoint included (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from modelyard.errors import NotImplementedByServer
from modelyard.server import deps
from modelyard.server.clearml_compat import (
    auth_api,
    events,
    files,
    models,
    projects,
    tasks,
    weblinks as weblinks,  # the app includes its router after the UI's
    wire,
)
from modelyard.server.clearml_compat.projects import Handler
from modelyard.server.origin import public_base

API = "/clearml/api"
HANDLERS: dict[str, Handler] = {**projects.HANDLERS, **tasks.HANDLERS, **models.HANDLERS}
METHODS = ["GET", "POST"]


def files_base(request: Request) -> str:
    return public_base(request) + files.ROOT


def _endpoint(handler: Handler) -> Callable[..., Any]:
    async def endpoint(request: Request, version: str) -> JSONResponse:
        svc, who = deps.services(request), deps.principal(request)
        args = await wire.read_args(request, svc.settings.max_request_json)
        args[models.BASE] = files_base(request)
        data = await run_in_threadpool(handler, svc, who, args)
        return wire.ok(request.url.path, data)
    return endpoint


async def add_batch(request: Request, version: str) -> JSONResponse:
    svc, who = deps.services(request), deps.principal(request)
    items = await wire.read_lines(request, svc.settings.max_request_json)
    data = await run_in_threadpool(events.add_batch, svc, who, items)
    return wire.ok(request.url.path, data)


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False, route_class=wire.ClearmlRoute)
    r.include_router(auth_api.router)
    r.include_router(files.router)
    for name, handler in HANDLERS.items():
        r.add_api_route(f"{API}/{{version}}/{name}", _endpoint(handler), methods=METHODS)
    r.add_api_route(f"{API}/{{version}}/events.add_batch", add_batch, methods=METHODS)

    async def not_supported(request: Request) -> JSONResponse:
        raise NotImplementedByServer(
            f"modelyard does not implement the ClearML endpoint {request.url.path}")

    r.add_api_route(API + "/{rest:path}", not_supported, methods=METHODS)
    return r


# For the route table (server/route_rules.py) and its test: endpoint -> rule.
def endpoint_names() -> list[str]:
    return [*HANDLERS, "events.add_batch"]
