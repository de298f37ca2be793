"""Probes for load balancers and orchestrators, outside every API's prefix:
``/health`` (live: the process answers), ``/ready`` (ready: the database and the
storage answer this process; 503 otherwise, naming the check that failed by its code),
``/version`` (MLflow's: the MLflow API version implemented, as plain text, which the
mlflow client parses to decide what the server offers; modelyard's own version is
``GET /api/v1/version``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

import modelyard

# The mlflow release whose REST API the MLflow adapter implements (tracking, the
# registry, logged models, artifacts; not tracing, which answers ENDPOINT_NOT_FOUND).
MLFLOW_API_VERSION = "3.17.2"


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.api_route("/health", methods=["GET", "HEAD"])
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @r.api_route("/ready", methods=["GET", "HEAD"])
    def ready(request: Request) -> JSONResponse:
        checks = request.app.state.services.health.readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ok else "unavailable", "checks": checks},
                            status_code=200 if ok else 503,
                            headers={"Cache-Control": "no-store"})

    @r.get("/version")
    def version() -> PlainTextResponse:
        return PlainTextResponse(MLFLOW_API_VERSION)

    @r.get("/api/v1/version")
    def native_version() -> JSONResponse:
        return JSONResponse({"version": modelyard.__version__,
                             "mlflow_api_version": MLFLOW_API_VERSION})

    return r
