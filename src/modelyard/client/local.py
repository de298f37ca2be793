"""The in-process client: the domain services on a folder or a database URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from modelyard.client.access_local import LocalAccessMixin
from modelyard.client.governance_local import LocalGovernanceMixin
from modelyard.client.base import BaseClient, Progress
from modelyard.client.tracking_local import LocalTrackingMixin
from modelyard.client.uri import local_database
from modelyard.client.verify import verified
from modelyard.client.webhooks_contract import LocalWebhookMixin
from modelyard.config import Settings, registry_environ
from modelyard.domain.entities import (
    ANONYMOUS,
    LOCAL_OWNER,
    Event,
    FileEntry,
    ModelVersion,
    Page,
    Principal,
    Project,
    RegisteredModel,
)
from modelyard.domain.refs import VersionRef
from modelyard.errors import NotFound
from modelyard.extras import check_backend_dependencies
from modelyard.services import Services


class LocalClient(LocalAccessMixin, LocalGovernanceMixin, LocalWebhookMixin,
                  LocalTrackingMixin, BaseClient):
    def __init__(self, uri: str, *, artifacts_uri: str | None = None,
                 principal: Principal | None = None, services: Services | None = None,
                 create: bool = True, token: str | None = None) -> None:
        self.uri = uri
        if services is None:
            database = local_database(uri)
            if not create and database is not None and not database.exists():
                raise NotFound(f"no registry at {uri}")
            # The embedded default (a folder or a SQLite file) upgrades itself when
            # first opened; a server database is upgraded by `modelyard db upgrade`.
            settings = _settings_for(uri, artifacts_uri)
            check_backend_dependencies(settings.database_url, settings.artifacts_uri)
            services = Services.from_settings(
                settings, upgrade=settings.embedded and settings.auto_migrate)
        self.services = services
        self.registry = services.registry
        # Who acts: the user of ``token``, or ``principal``; neither: the local owner
        # (anonymous while no user is defined, else an admin: whoever opens the
        # database in process holds it anyway).
        self._principal = (services.access.authenticate_token(token) if token
                           else principal)

    @property
    def who(self) -> Principal:
        if self._principal is not None:
            return self._principal
        return ANONYMOUS if self.services.access.is_open() else LOCAL_OWNER

    @who.setter
    def who(self, value: Principal) -> None:
        self._principal = value

    def close(self) -> None:
        self.services.close()

    # -- blobs (through the domain's blob service) -------------------------------------
    def missing_blobs(self, digests: list[str]) -> list[str]:
        return self.services.blob_service.missing(self.who, digests)

    def upload_blob(self, entry: FileEntry, source: Path, progress: Progress | None = None) -> None:
        self.services.blob_service.put_file(self.who, str(source), entry.sha256)
        if progress:
            progress(entry.size)

    def iter_blob(self, digest: str) -> Iterator[bytes]:
        return self.services.blob_service.read_chunks(self.who, digest)

    def iter_blobs(self, digests: list[str]) -> Iterator[tuple[str, int, Iterator[bytes]]]:
        batch = self.services.blob_service.read_many(self.who, digests)
        return ((digest, size, batch.chunks(digest)) for digest, size in batch.items)

    def iter_file(self, ref: str | VersionRef, path: str) -> Iterator[bytes]:
        entry = self.registry.file_entry(self.who, ref, path)
        return verified(self.iter_blob(entry.sha256), entry.sha256, f"{ref}: file {path!r}")

    # -- models -----------------------------------------------------------------------
    def create_model(self, name: str, description: str = "", tags: dict[str, str] | None = None,
                     project: str = "default") -> RegisteredModel:
        return self.registry.create_model(self.who, name, description, tags, project)

    def get_model(self, name: str, deleted: bool = False) -> RegisteredModel:
        return self.registry.get_model(self.who, name, deleted=deleted)

    def search_models(self, filter: str | None = None, order_by: list[str] | None = None,
                      max_results: int = 100, page_token: str | None = None,
                      deleted: bool = False, kind: str = "model") -> Page[RegisteredModel]:
        return self.registry.search_models(self.who, filter, order_by, max_results, page_token,
                                           deleted=deleted, kind=kind)

    def update_model(self, name: str, description: str) -> RegisteredModel:
        return self.registry.update_model(self.who, name, description)

    def rename_model(self, name: str, new_name: str) -> RegisteredModel:
        return self.registry.rename_model(self.who, name, new_name)

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self.registry.set_model_tag(self.who, name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        self.registry.delete_model_tag(self.who, name, key)

    def delete_model(self, name: str) -> None:
        self.registry.delete_model(self.who, name)

    def restore_model(self, name: str) -> RegisteredModel:
        return self.registry.restore_model(self.who, name)

    # -- versions ---------------------------------------------------------------------
    def create_version(self, name: str, files: list[FileEntry], **fields: Any) -> ModelVersion:
        return self.registry.create_version(self.who, name, files, **fields)

    def register_run_model(self, name: str, run_id: str, artifact_path: str, *,
                           create_model: bool = True, **fields: Any) -> ModelVersion:
        return self.services.sources.register_from_run(
            self.who, name, run_id, artifact_path, create_model=create_model, **fields)

    def get_version(self, name: str, version: int | str, files: bool = True) -> ModelVersion:
        return self.registry.get_version(self.who, name, version, with_files=files)

    def search_versions(self, filter: str | None = None, order_by: list[str] | None = None,
                        max_results: int = 100, page_token: str | None = None,
                        deleted: bool = False) -> Page[ModelVersion]:
        return self.registry.search_versions(self.who, filter, order_by, max_results, page_token,
                                             deleted=deleted)

    def update_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        return self.registry.update_version(self.who, name, version, description)

    def set_version_tag(self, name: str, version: int | str, key: str, value: str) -> None:
        self.registry.set_version_tag(self.who, name, version, key, value)

    def delete_version_tag(self, name: str, version: int | str, key: str) -> None:
        self.registry.delete_version_tag(self.who, name, version, key)

    def delete_version(self, name: str, version: int | str) -> None:
        self.registry.delete_version(self.who, name, version)

    def restore_version(self, name: str, version: int) -> ModelVersion:
        return self.registry.restore_version(self.who, name, version)

    def transition_stage(self, name: str, version: int | str, stage: str,
                         archive_existing: bool = False) -> ModelVersion:
        return self.registry.transition_stage(self.who, name, version, stage,
                                              archive_existing=archive_existing)

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        return self.registry.set_alias(self.who, name, alias, version)

    def delete_alias(self, name: str, alias: str) -> None:
        self.registry.delete_alias(self.who, name, alias)

    # -- events, projects, maintenance ------------------------------------------------
    def list_events(self, *, entity_type: str | None = None, entity_id: str | None = None,
                    model: str | None = None, type: str | None = None,
                    after_id: int | None = None, newest_first: bool = False,
                    max_results: int | None = None,
                    page_token: str | None = None, user: str | None = None,
                    since: int | None = None,
                    types: list[str] | None = None) -> Page[Event]:
        return self.services.audit.list_events(
            self.who, entity_type=entity_type, entity_id=entity_id, model=model,
            type_prefix=type, after_id=after_id, newest_first=newest_first,
            max_results=max_results, page_token=page_token, user=user, since=since,
            types=types)

    def create_project(self, name: str, description: str = "") -> Project:
        return self.registry.create_project(self.who, name, description)

    def list_projects(self) -> list[Project]:
        return self.registry.list_projects(self.who)

    def gc(self, dry_run: bool = False, grace_seconds: int | None = None,
           force: bool = False) -> dict[str, Any]:
        report = self.services.gc.collect(self.who, dry_run=dry_run,
                                          grace_seconds=grace_seconds, force=force)
        return dict(report.to_dict())

    def fsck(self, sample: int | None = None) -> dict[str, Any]:
        return self.services.fsck.check(self.who, sample).to_dict()

    def dvc_objects(self, project: str, oids: list[str]) -> dict[str, tuple[str, int]]:
        found = self.services.dvc_remote.resolve(self.who, project, oids)
        return {k: (v.sha256, v.size) for k, v in found.items()}


def _settings_for(uri: str, artifacts_uri: str | None) -> Settings:
    if "://" in uri and not uri.startswith("file://"):
        db_url = uri
        if uri.startswith("sqlite:///"):
            db_path = Path(uri[len("sqlite:///"):]).expanduser().resolve()
            home = str(db_path.parent)
            db_url = "sqlite:///" + str(db_path)
        else:
            home = "./modelyard-data"
        return Settings.load({"home": home, "backend_store_uri": db_url,
                              "artifacts_uri": artifacts_uri or ""},
                             environ=registry_environ())
    folder = uri[len("file://"):] if uri.startswith("file://") else uri
    return Settings.load({"home": str(Path(folder).expanduser().resolve()),
                          "artifacts_uri": artifacts_uri or ""}, environ=registry_environ())


