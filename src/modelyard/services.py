"""The composition root: build the store, the blob store and the domain services from
settings.  Used by the server and by the in-process client; nothing here is global."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.artifacts.registry import open_blob_store
from modelyard.config import Settings
from modelyard.domain.audit import AuditService
from modelyard.domain.blobs import BlobService
from modelyard.domain.datasets import DatasetService
from modelyard.domain.gc import GcService
from modelyard.domain.lineage import LineageService
from modelyard.domain.logged_models import LoggedModelService
from modelyard.domain.ports import Clock, SystemClock
from modelyard.domain.registry import RegistryService
from modelyard.domain.sources import SourceService
from modelyard.domain.tracking import TrackingService
from modelyard.store.sql_store import SqlStore


@dataclass
class Services:
    settings: Settings
    store: Any
    blobs: Any
    clock: Clock
    registry: RegistryService
    gc: GcService
    audit: AuditService
    tracking: TrackingService
    datasets: DatasetService
    lineage: LineageService
    logged_models: LoggedModelService
    blob_service: BlobService
    sources: SourceService

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        store = SqlStore(settings.database_url, auto_migrate=settings.auto_migrate)
        blobs = open_blob_store(settings.blob_root)
        blob_service = BlobService(blobs)
        registry = RegistryService(store, blobs, clock)
        tracking = TrackingService(store, blobs, clock)
        logged_models = LoggedModelService(store, blobs, clock)
        return cls(
            settings=settings,
            store=store,
            blobs=blobs,
            clock=clock,
            registry=registry,
            gc=GcService(store, blob_service, clock, settings.gc_grace_seconds),
            audit=AuditService(store),
            tracking=tracking,
            datasets=DatasetService(store, blobs, clock),
            lineage=LineageService(store, clock),
            logged_models=logged_models,
            blob_service=blob_service,
            sources=SourceService(registry, tracking, logged_models),
        )

    def close(self) -> None:
        self.store.dispose()
