"""The scoring server: a small Starlette app over a :class:`Runtime`.

Routes::

    POST /invocations                       MLflow payloads (JSON and CSV)
    GET  /ping  /health                     200 when every route has a model loaded
    GET  /version                           what is served, per route, since when
    GET  /metrics                           Prometheus text
    GET  /v2  /v2/health/live  /v2/health/ready
    GET  /v2/models/{name}  /v2/models/{name}/ready
    POST /v2/models/{name}/infer  /v2/models/{name}/versions/{version}/infer

Every scoring response carries ``X-Modelyard-Version`` (``fraud/3``) and
``X-Modelyard-Route`` (``production``).  Errors are ``{"error_code", "message"}`` with
the status of their :mod:`modelyard.errors` class; no traceback reaches a client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route as HttpRoute

from modelyard.hostcheck import HostCheck, is_loopback
from modelyard.errors import (
    InvalidParameter,
    ModelyardError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)
from modelyard.flavors.signature import Prepared, Signature
from modelyard.serving import oip
from modelyard.serving.payloads import dumps, loads, parse_invocation, predictions_body
from modelyard.serving.auth import CallerCheck, RequireToken
from modelyard.serving.runtime import Route, Runtime, ServedModel, split_ref

__all__ = ["create_app"]

log = logging.getLogger("modelyard.serving")

JSON = "application/json"
Parse = Callable[[bytes, str, Signature], tuple[Prepared, Any]]
Render = Callable[[Any, ServedModel, Any], bytes]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type=JSON, headers=headers)


def _error(exc: ModelyardError, headers: dict[str, str] | None = None) -> Response:
    return _json(exc.to_dict(), exc.http_status, headers)


class Scorer:
    """The request path shared by /invocations and the OIP infer routes."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.metrics = runtime.metrics
        self.limit = runtime.config.max_body_bytes
        self.inflight = 0
        self.shadow_inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def read_body(self, request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise InvalidParameter("invalid Content-Length")
            if int(length) > self.limit:
                raise PayloadTooLarge(f"the request body is larger than the limit of "
                                      f"{self.limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.limit:
                raise PayloadTooLarge(f"the request body is larger than the limit of "
                                      f"{self.limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def score(self, request: Request, endpoint: str, parse: Parse, render: Render,
                    route: Route | None = None) -> Response:
        started = time.perf_counter()
        route = route or self.runtime.choose()
        served = route.current
        headers: dict[str, str] = {"X-Modelyard-Route": route.name}
        status = 200
        self.inflight += 1
        try:
            if served is None:
                raise ServiceUnavailable("the model is still loading")
            headers["X-Modelyard-Version"] = served.label
            ctype = request.headers.get("content-type", JSON)
            batcher = served.batcher
            batcher.enter()
            try:
                try:
                    body = await self.read_body(request)
                    prepared, extra = parse(body, ctype, served.model.signature)
                finally:
                    batcher.arriving -= 1
                if prepared.rows == 0:
                    raise InvalidParameter("the input has no rows to predict")
                result = await batcher.predict(prepared)
            except ModelyardError:
                raise
            except Exception as exc:  # noqa: BLE001 - the model refused this input
                raise InvalidParameter(f"the model failed on this input: "
                                       f"{type(exc).__name__}: {_first_line(exc)}") from None
            finally:
                batcher.leave()
            response = Response(render(result.output, served, extra), media_type=JSON,
                                headers=headers)
            if self.runtime.shadow is not None:
                self._shadow(body, ctype, parse)
            return response
        except ModelyardError as exc:
            status = exc.http_status
            return _error(exc, headers)
        except Exception:  # noqa: BLE001 - never a traceback to the client
            log.exception("scoring failed")
            status = 500
            return _error(ModelyardError("internal error while scoring"), headers)
        finally:
            self.inflight -= 1
            labels = (("endpoint", endpoint), ("route", route.name),
                      ("version", served.label if served else ""), ("code", str(status)))
            self.metrics.inc("modelyard_requests_total", labels)
            self.metrics.observe("modelyard_request_duration_seconds",
                                 time.perf_counter() - started, (("endpoint", endpoint),))

    def _shadow(self, body: bytes, ctype: str, parse: Parse) -> None:
        shadow = self.runtime.shadow
        if shadow is None or shadow.current is None:
            return
        if self.shadow_inflight >= self.runtime.config.max_shadow_inflight:
            self.metrics.inc("modelyard_shadow_requests_total", (("outcome", "dropped"),))
            return
        self.shadow_inflight += 1
        task = asyncio.get_running_loop().create_task(self._shadow_call(shadow.current, body,
                                                                        ctype, parse))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _shadow_call(self, served: ServedModel, body: bytes, ctype: str,
                           parse: Parse) -> None:
        outcome = "ok"
        batcher = served.batcher
        batcher.enter()
        try:
            try:
                prepared, _ = parse(body, ctype, served.model.signature)
            finally:
                batcher.arriving -= 1
            await batcher.predict(prepared)
        except ModelyardError:
            outcome = "rejected"
        except Exception:  # noqa: BLE001 - a shadow never affects the answer
            outcome = "error"
        finally:
            batcher.leave()
            self.shadow_inflight -= 1
            self.metrics.inc("modelyard_shadow_requests_total",
                             (("outcome", outcome), ("version", served.label)))


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [""])[0][:300]


# -- parsers and renderers -------------------------------------------------------------
def _parse_mlflow(body: bytes, ctype: str, sig: Signature) -> tuple[Prepared, Any]:
    return parse_invocation(body, ctype, sig), None


def _render_mlflow(output: Any, served: ServedModel, extra: Any) -> bytes:
    return predictions_body(output)


def _parse_oip(body: bytes, ctype: str, sig: Signature) -> tuple[Prepared, Any]:
    return oip.parse_infer(loads(body), sig)


def _render_oip(output: Any, served: ServedModel, request_id: Any) -> bytes:
    return dumps(oip.response(served.name, served.version, request_id, output))


def create_app(runtime: Runtime) -> Starlette:
    scorer = Scorer(runtime)

    async def invocations(request: Request) -> Response:
        return await scorer.score(request, "invocations", _parse_mlflow, _render_mlflow)

    async def health(request: Request) -> Response:
        if not runtime.ready:
            return _error(ServiceUnavailable("the model is still loading"))
        return _json({"status": "ok"})

    async def version(request: Request) -> Response:
        return _json(runtime.describe())

    async def metrics(request: Request) -> Response:
        runtime.metrics.set("modelyard_inflight_requests", scorer.inflight)
        return PlainTextResponse(runtime.metrics.render(),
                                 media_type="text/plain; version=0.0.4")

    def _model_routes(name: str) -> list[Route]:
        found = [r for r in runtime.routes if r.current is not None and r.current.name == name]
        if not found:
            raise NotFound(f"no model named {name!r} is served here")
        return found

    async def v2(request: Request) -> Response:
        import modelyard

        return _json({"name": "modelyard", "version": modelyard.__version__,
                      "extensions": []})

    async def live(request: Request) -> Response:
        return _json({"live": True})

    async def ready(request: Request) -> Response:
        if not runtime.ready:
            return _json({"ready": False}, 503)
        return _json({"ready": True})

    async def model_meta(request: Request) -> Response:
        try:
            routes = _model_routes(request.path_params["name"])
        except NotFound as exc:
            return _error(exc)
        cur = routes[0].current
        assert cur is not None
        versions = sorted({r.current.version for r in routes if r.current}, key=str)
        return _json(oip.metadata(cur.name, versions, cur.model.flavor, cur.model.signature))

    async def model_ready(request: Request) -> Response:
        try:
            _model_routes(request.path_params["name"])
        except NotFound as exc:
            return _error(exc)
        return _json({"name": request.path_params["name"], "ready": True})

    async def infer(request: Request) -> Response:
        name = request.path_params["name"]
        wanted = request.path_params.get("version")
        try:
            routes = _model_routes(name)
            route = None
            if wanted is not None:
                route = next((r for r in routes if r.current and r.current.version == wanted),
                             None)
                if route is None:
                    raise NotFound(f"version {wanted!r} of {name!r} is not served here")
            elif len(routes) != len(runtime.routes):
                route = routes[0]
        except NotFound as exc:
            return _error(exc)
        return await scorer.score(request, "v2_infer", _parse_oip, _render_oip, route)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        if status == 404:
            return _error(NotFound(f"no route {request.url.path}"))
        if status == 405:
            err = InvalidParameter(f"method {request.method} not allowed on {request.url.path}")
            return _json({"error_code": "METHOD_NOT_ALLOWED", "message": err.message}, 405)
        return _json({"error_code": "BAD_REQUEST", "message": str(getattr(exc, "detail", ""))},
                     status)

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ModelyardError):
            return _error(exc)
        log.exception("unhandled error")
        return _error(ModelyardError("internal error"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        runtime.attach(loop)
        yield
        # Before uvicorn re-raises SIGTERM: stop following and end the deployments.
        await loop.run_in_executor(None, runtime.stop)

    routes = [
        HttpRoute("/invocations", invocations, methods=["POST"]),
        HttpRoute("/ping", health, methods=["GET"]),
        HttpRoute("/health", health, methods=["GET"]),
        HttpRoute("/version", version, methods=["GET"]),
        HttpRoute("/metrics", metrics, methods=["GET"]),
        HttpRoute("/v2", v2, methods=["GET"]),
        HttpRoute("/v2/health/live", live, methods=["GET"]),
        HttpRoute("/v2/health/ready", ready, methods=["GET"]),
        HttpRoute("/v2/models/{name}", model_meta, methods=["GET"]),
        HttpRoute("/v2/models/{name}/ready", model_ready, methods=["GET"]),
        HttpRoute("/v2/models/{name}/infer", infer, methods=["POST"]),
        HttpRoute("/v2/models/{name}/versions/{version}/infer", infer, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: on_http_error, Exception: on_error})
    app.state.runtime = runtime
    if runtime.config.require_token:
        if runtime.client is None or any(r.local for r in runtime.all_routes):
            raise InvalidParameter("--require-token checks callers against the registry: "
                                   "it needs a registry reference, not a model folder")
        names = sorted({split_ref(r.ref)[0] for r in runtime.all_routes})
        app.add_middleware(RequireToken, check=CallerCheck(runtime.client, lambda: names))
    host = runtime.config.host
    # Unauthenticated on loopback: refuse foreign Host headers (DNS rebinding).
    app.add_middleware(HostCheck, allowed=[host] if is_loopback(host) else None)
    return app
