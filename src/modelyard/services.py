"""The composition root: build the store, the blob store and the domain services from
settings.  Used by the server and by the in-process client; nothing here is global."""

from __future__ import annotations

from dataclasses import dataclass
from modelyard.artifacts.registry import open_blob_store
from modelyard.config import Settings
from modelyard.domain.audit import AuditService
from modelyard.domain.datasets import DatasetService
from modelyard.domain.gc import GcService
from modelyard.domain.lineage import LineageService
from modelyard.domain.logged_models import LoggedModelService
from modelyard.domain.ports import BlobStore, Clock, SystemClock
from modelyard.domain.registry import RegistryService
from modelyard.domain.tracking import TrackingService
from modelyard.store.sql_store import SqlStore


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    blobs: BlobStore
    clock: Clock
    registry: RegistryService
    gc: GcService
    audit: AuditService
    tracking: TrackingService
    datasets: DatasetService
    lineage: LineageService
    logged_models: LoggedModelService

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Services:
        clock = clock or SystemClock()
        store = SqlStore(settings.database_url, auto_migrate=settings.auto_migrate)
        blobs = open_blob_store(settings.blob_root)
        return cls(
            settings=settings,
            store=store,
            blobs=blobs,
            clock=clock,
            registry=RegistryService(store, blobs, clock),
            gc=GcService(store, blobs, clock, settings.gc_grace_seconds),
            audit=AuditService(store),
            tracking=TrackingService(store, blobs, clock),
            datasets=DatasetService(store, blobs, clock),
            lineage=LineageService(store, clock),
            logged_models=LoggedModelService(store, blobs, clock),
        )

    def close(self) -> None:
        self.store.dispose()
