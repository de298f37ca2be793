"""create_app(settings): the ASGI application.  No module-level state but the adapters'
route tables, which hold none of an app's (see :func:`_routers`)."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.util import find_spec
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

import modelyard
from modelyard.config import Settings
from modelyard.hostcheck import HostCheck
from modelyard.server import (
    api_v1,
    auth,
    clearml_compat,
    docs,
    dvc_remote,
    errors,
    health,
    mlflow_compat,
    route_cache,
    sso,
    ui,
)
from modelyard.server.access_log import AccessLog
from modelyard.server.api_v1.idempotency import Idempotency
from modelyard.server.csrf import RequireNonSimple
from modelyard.server.headers import ResponseHeaders
from modelyard.server.limits import BodyLimit
from modelyard.server.sso.oidc import OidcClient
from modelyard.services import Services

log = logging.getLogger("modelyard.server")

#: FastAPI's own OpenTelemetry instrumentation (the releases that have it), off: once an
#: operator's instrumentation sets global providers it records every request's query
#: string in a span (a signed part URL's ``signature``, names, filters) and unhandled
#: exceptions with their stack traces in its logs, where the server's own logs hold
#: neither (tests/api/test_telemetry.py).  Told by the module, not by the signature of
#: ``FastAPI``, which an instrumentation's subclass may hide behind ``**kwargs``.
_NO_TELEMETRY = {"tracing": False, "metrics": False, "logs": False,
                 "operation_spans": False, "auto_configure": False}
_FASTAPI_OPTIONS: dict[str, Any] = (
    {"telemetry": _NO_TELEMETRY} if find_spec("fastapi.telemetry") else {})


def create_app(settings: Settings | None = None, services: Services | None = None,
               *, allowed_hosts: list[str] | None = None) -> FastAPI:
    settings = settings or Settings.load()
    services = services or Services.from_settings(settings)
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        worker = services.delivery_worker() if settings.webhook_worker else None
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            services.close()

    app = FastAPI(
        lifespan=lifespan,
        title="modelyard",
        version=modelyard.__version__,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        # Every route, of every adapter: its rule, then the credential (server/auth.py).
        dependencies=[Depends(auth.authenticate)],
        **_FASTAPI_OPTIONS,
    )
    app.state.services = services
    # Single sign-on: the OIDC client fetches the issuer's documents lazily, on first use.
    app.state.oidc = OidcClient(services.settings) if services.settings.oidc_issuer else None
    errors.install(app, pages=ui.error_page)
    apis, pages = _routers()
    for r in apis:
        app.include_router(r)
    docs.install(app, "/api/v1/openapi.json")
    for r in pages:
        app.include_router(r)
    route_cache.install(app)
    # Outermost last: every response gets its headers and request id, then the Host
    # check, the cross-site check and the body limits run before any route, and an
    # Idempotency-Key is honoured last, on a request that passed them all.
    app.add_middleware(Idempotency, service=services.idempotency)
    app.add_middleware(BodyLimit, json_limit=services.settings.max_request_json,
                       upload_limit=services.settings.max_upload_size)
    app.add_middleware(RequireNonSimple)
    app.add_middleware(HostCheck, allowed=allowed_hosts)
    app.add_middleware(errors.ClientGone)
    if services.settings.access_log:  # inside ResponseHeaders, which sets the request id
        app.add_middleware(AccessLog)
    app.add_middleware(ResponseHeaders)

    return app


@functools.cache
def _routers() -> tuple[tuple[APIRouter, ...], tuple[APIRouter, ...]]:
    """The adapters' routers, in the order they are matched: the APIs, then (after the
    API docs) the pages.  Built once per process: a route holds no state of an app
    (handlers reach their services through ``request.app.state``) and each app wraps
    what it includes with its own dependencies (FastAPI prepares the routes for each
    app, on its first requests), so a second app (a test's, a process's) no longer
    builds every route object again (0.05-0.2 s of ``create_app``)."""
    apis = (
        # First: routes are matched in order, and the ClearML SDK's background calls
        # (about one a second per running script) would otherwise be tried against
        # every other route first; its paths all start with /clearml, so it shadows
        # nothing (its web links, at /projects/..., come after the UI).
        clearml_compat.router(), api_v1.router(), mlflow_compat.router(),
        health.router(), dvc_remote.router(), sso.router(),
    )
    # The web UI last: its paths never shadow an API route; ClearML's web links
    # (/projects/...) after it, so that they shadow no page.
    pages = (ui.router(), clearml_compat.weblinks.router)
    return apis, pages
