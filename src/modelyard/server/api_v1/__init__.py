"""The native REST API under /api/v1."""

from fastapi import APIRouter

from modelyard.server.api_v1 import (
    access,
    blobs,
    datasets,
    deployments,
    dvc,
    events,
    experiments,
    fsck,
    governance,
    lineage,
    models,
    runs,
    uploads,
    versions,
    webhooks,
)


def router() -> APIRouter:
    r = APIRouter(prefix="/api/v1")
    for module in (models, versions, blobs, events, experiments, runs, datasets,
                   deployments, lineage, fsck, access, dvc, governance, webhooks, uploads):
        r.include_router(module.router)
    return r
