"""The MLflow-compatible API: a thin translation onto the same domain services as
``/api/v1`` (one store, not two), so ``mlflow.set_tracking_uri("http://host:port")``
works unchanged.

One module per area: ``registry`` (registered models, versions, stages, aliases),
``tracking`` (experiments, runs, metrics), ``logged_models`` (MLflow 3), ``artifacts``
(the proxied artifact service); ``translate``/``tracking_json`` hold the wire shapes,
``sources`` the artifact paths and model sources, ``common`` request decoding.
Errors use the shared ``{"error_code", "message"}`` body with MLflow's statuses;
endpoints we do not implement answer 404 ``ENDPOINT_NOT_FOUND`` in that shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.routing import APIRoute

from modelyard.errors import NotImplementedByServer
from modelyard.server.mlflow_compat import (
    artifacts,
    auth_api,
    auth_permissions,
    logged_models,
    mpu,
    registry,
    tracking,
    ui_api,
    webhooks,
)

# What /api/3.0/mlflow/server-info answers: multipart uploads are on (``mpu.py``, on
# every blob store), multipart downloads off, and no optional MLflow features.
# Artifact deletion (DELETE mlflow-artifacts/artifacts/<run path>) is served; MLflow's
# server-info has no field for it.  Downloads stay proxied on the MLflow API (the
# presigned direct reads are the native API's, POST /api/v1/blobs:locate), so
# multipart_downloads_enabled is truly False.
SERVER_INFO: dict[str, Any] = {
    "store_type": "SqlStore",
    "workspaces_enabled": False,
    "trace_archival_enabled": False,
    "multipart_uploads_enabled": True,
    "multipart_downloads_enabled": False,
    "presigned_upload_run_id_supported": False,
    "presigned_upload_model_id_supported": False,
    "features_enabled": {"gateway": False},
}

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_PREFIXES = ("/api/2.0/mlflow/", "/api/2.0/mlflow-artifacts/", "/api/3.0/mlflow/",
             "/ajax-api/2.0/mlflow/", "/ajax-api/2.0/mlflow-artifacts/", "/ajax-api/3.0/mlflow/")


def _mirror_under_ajax_api(r: APIRouter, sources: list[APIRouter]) -> None:
    """Every MLflow endpoint also under ``/ajax-api/``, where MLflow's web UI and some
    tools call it: the same endpoint and the same permission rule
    (:func:`modelyard.server.route_rules.rule_for` maps the prefix)."""
    for route in [route for source in sources for route in source.routes]:
        if isinstance(route, APIRoute) and route.path.startswith("/api/"):
            r.add_api_route("/ajax-api/" + route.path[len("/api/"):], route.endpoint,
                            methods=sorted(route.methods or ()), response_model=None,
                            include_in_schema=False, name=f"ajax-{route.name}")


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)
    modules = [registry.router, tracking.router, logged_models.router, artifacts.router,
               mpu.router,
               auth_api.router, auth_permissions.router, ui_api.router, webhooks.router]
    for module in modules:
        r.include_router(module)

    @r.get("/api/3.0/mlflow/server-info")
    def server_info() -> dict[str, Any]:
        return SERVER_INFO

    _mirror_under_ajax_api(r, [*modules, r])

    def not_supported(request: Request) -> None:
        raise NotImplementedByServer(
            f"modelyard does not implement the MLflow endpoint {request.method} "
            f"{request.url.path}")

    # Last, so that it only catches what no route above matched (including a known
    # path called with the wrong method): MLflow's error shape, never HTML or a 500.
    for prefix in _PREFIXES:
        r.add_api_route(prefix + "{rest:path}", not_supported, methods=_METHODS)
    return r
