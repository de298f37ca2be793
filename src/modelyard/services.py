"""The composition root: build the store, the blob store and the domain services from
settings.  Used by the server and by the in-process client; nothing here is global.

Opening never migrates unless asked: ``Services.from_settings(settings, upgrade=True)``
is the embedded default's first open; :func:`start_up` is what a server does once
before its workers open their own services (which only check the schema)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from modelyard.artifacts.registry import open_blob_store
from modelyard.domain.access import AccessService
from modelyard.domain.guards import (
    GuardedBlobs,
    GuardedDatasets,
    GuardedLineage,
    GuardedLoggedModels,
    GuardedTracking,
)
from modelyard.config import Settings
from modelyard.domain.audit import AuditService
from modelyard.domain.blobs import BlobService
from modelyard.domain.datasets import DatasetService
from modelyard.domain.dvc import DvcRemoteService
from modelyard.domain.fsck import FsckService
from modelyard.domain.gc import GcService
from modelyard.domain.health import HealthService
from modelyard.domain.idempotency import IdempotencyService
from modelyard.domain.lineage import LineageService
from modelyard.domain.logged_models import LoggedModelService
from modelyard.domain.ports import BlobStore, Clock, SystemClock
from modelyard.domain.registry import RegistryService
from modelyard.domain.sources import SourceService
from modelyard.domain.tracking import TrackingService
from modelyard.domain.uploads import UploadService
from modelyard.domain.webhook_worker import DeliveryWorker, WorkerConfig
from modelyard.domain.webhooks import WebhookService
from modelyard.outbound import OutboundPolicy, SafeSender
from modelyard.errors import ModelyardError
from modelyard.policy_yaml import load_policy
from modelyard.store.idempotency_repo import SqlIdempotencyStore
from modelyard.store.manifest_index import SqlManifestIndex
from modelyard.store.sql_store import SqlStore
from modelyard.sealing import KeyFile, ensure_key
from modelyard.store.uploads_repo import SqlUploadStore
from modelyard.store.webhooks_repo import SqlWebhookStore

log = logging.getLogger("modelyard.server")


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
    blob_service: BlobService
    sources: SourceService
    fsck: FsckService
    idempotency: IdempotencyService
    access: AccessService
    health: HealthService
    dvc_remote: DvcRemoteService
    webhooks: WebhookService
    uploads: UploadService
    #: The server's secret key (``secret_key_file``): seals stored secrets and signs
    #: the login tokens of the ClearML API.
    keys: KeyFile

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None, *,
                      upgrade: bool = False) -> Services:
        """With ``upgrade`` the schema is migrated first (under the database's migration
        lock); without, a database not at the newest schema is refused with a message
        saying to run ``modelyard db upgrade``."""
        clock = clock or SystemClock()
        store = SqlStore(settings.database_url)
        try:
            if upgrade:
                store.upgrade()
            else:
                store.require_head()
        except BaseException:
            store.dispose()
            raise
        keys = KeyFile(settings.secret_key_path,
                       create=settings.embedded and not settings.secret_key_file)
        blobs = open_blob_store(settings.blob_root)
        access = AccessService(store, clock)
        access.external_auth = bool(settings.sso_modes)
        access.session_ttl_ms = settings.session_hours * 3600 * 1000
        blob_service = GuardedBlobs(blobs, access, direct_reads=not settings.proxy_artifacts)
        registry = RegistryService(store, blobs, clock, access=access,
                                   policy_loader=load_policy)
        tracking = GuardedTracking(store, blobs, clock, access)
        logged_models = GuardedLoggedModels(store, blobs, clock, access)
        uploads = UploadService(SqlUploadStore(store), blobs, clock, blob_service.check_upload,
                                ttl_s=settings.upload_session_seconds,
                                presign_s=settings.presign_seconds,
                                direct=not settings.proxy_artifacts,
                                max_size=settings.max_upload_size)
        return cls(
            settings=settings,
            store=store,
            blobs=blobs,
            clock=clock,
            registry=registry,
            gc=GcService(store, blob_service, clock, settings.gc_grace_seconds,
                         stale_upload_seconds=settings.stale_upload_seconds,
                         sessions=uploads.sweep),
            audit=AuditService(store, access),
            tracking=tracking,
            datasets=GuardedDatasets(store, blobs, clock, access),
            lineage=GuardedLineage(store, clock, access,
                                   deployment_timeout_s=settings.deployment_timeout_seconds),
            logged_models=logged_models,
            blob_service=blob_service,
            sources=SourceService(registry, tracking, logged_models),
            fsck=FsckService(blob_service, SqlManifestIndex(store)),
            idempotency=IdempotencyService(SqlIdempotencyStore(store), clock),
            access=access,
            health=HealthService(store, blobs),
            dvc_remote=DvcRemoteService(store, blobs, access, clock),
            webhooks=WebhookService(store, SqlWebhookStore(store, keys), access,
                                    _sender(settings), clock),
            uploads=uploads,
            keys=keys,
        )

    def delivery_worker(self) -> DeliveryWorker:
        """The webhook delivery worker of a server process (started by the app)."""
        s = self.settings
        worker = DeliveryWorker(self.webhooks.webhooks, self.webhooks.sender, self.clock,
                                WorkerConfig(timeout=s.webhook_timeout_seconds,
                                             retry_for_s=s.webhook_retry_seconds,
                                             backoff_s=s.webhook_backoff_ms / 1000))
        self.webhooks.on_change(worker.wake)
        return worker

    def close(self) -> None:
        self.store.dispose()


def _sender(settings: Settings) -> SafeSender:
    return SafeSender(OutboundPolicy(settings.allow_webhook_hosts),
                      timeout=settings.webhook_timeout_seconds)


def start_up(settings: Settings) -> None:
    """What a server does once before it serves: upgrade the schema (when ``auto_migrate``
    is on; otherwise refuse a database not at the newest schema), then start removing
    the partial uploads a killed process left behind, beside serving (an unreachable
    storage would otherwise hold ``/health`` back through the client's retries)."""
    ensure_key(settings.secret_key_path)
    store = SqlStore(settings.database_url)
    try:
        if settings.auto_migrate:
            store.upgrade()
        else:
            store.require_head()  # refused here, once, before any worker starts
    finally:
        store.dispose()
    threading.Thread(target=_sweep_stale_uploads, args=(settings,),
                     name="modelyard-sweep", daemon=True).start()


def _sweep_stale_uploads(settings: Settings) -> None:
    """Only what is older than ``stale_upload_seconds`` goes, so uploads in progress on
    this server or another are left alone."""
    try:
        files, size = open_blob_store(settings.blob_root).sweep_temp(
            time.time() - settings.stale_upload_seconds)
    except ModelyardError as exc:  # the storage is checked again by every request
        log.warning("stale partial uploads not swept: %s", exc.code)
        return
    except Exception as exc:  # noqa: BLE001 - one line, not a thread's traceback
        log.warning("stale partial uploads not swept: %s", type(exc).__name__)
        return
    if files:
        log.info("removed %d stale partial uploads (%d bytes)", files, size)


def users_defined(settings: Settings) -> bool:
    """Whether any user exists (authentication is on), read once at start-up."""
    services = Services.from_settings(settings)
    try:
        return not services.access.is_open()
    finally:
        services.close()
