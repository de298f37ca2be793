"""Repository Protocols of the registry (projects, models, versions, aliases) and of
the event outbox.  They take and return frozen records (:mod:`modelyard.domain.records`)
or entities, never rows; ``store/`` implements them."""

from __future__ import annotations

from typing import Any, Protocol

from modelyard.domain.access_records import Readable
from modelyard.domain.entities import (
    Event,
    FileEntry,
    ModelVersion,
    ParentLink,
    Project,
    RegisteredModel,
)
from modelyard.domain.records import (
    ModelRecord,
    NewEvent,
    VersionRecord,
)
from modelyard.domain.search import Node, OrderKey


class ProjectRepository(Protocol):
    def project_id(self, name: str, *, latest: bool = False) -> int | None:
        """``latest``: read the newest committed row (a locking read), not the
        transaction's snapshot."""
        ...

    def insert_project(self, name: str, description: str, now: int, actor: str) -> int:
        """Raises AlreadyExists when the name is taken."""
        ...

    def project_names_like(self, skeleton: str) -> list[str]:
        """Names of the projects whose name has this skeleton key (domain/names.py)."""
        ...

    def list_projects(self) -> list[Project]: ...


class ModelRepository(Protocol):
    def model(self, name: str, *, deleted: bool = False) -> ModelRecord | None:
        """The live model of that name, or (``deleted``) the latest soft-deleted one."""
        ...

    def insert_model(self, name: str, project_id: int, description: str, now: int,
                     actor: str) -> int:
        """Raises AlreadyExists when a live model has the name."""
        ...

    def model_names_like(self, skeleton: str) -> list[str]:
        """Names of the live models whose name has this skeleton key (domain/names.py)."""
        ...

    def touch_model(self, model_id: int, now: int, actor: str) -> None:
        """Mark the model updated; takes the row lock that orders writers on it."""
        ...

    def set_model_description(self, model_id: int, description: str, now: int,
                              actor: str) -> None: ...

    def rename_model(self, model_id: int, name: str, now: int, actor: str) -> None:
        """Raises AlreadyExists when a live model has the new name."""
        ...

    def set_model_deleted(self, model_id: int, deleted: bool, now: int, actor: str) -> None:
        """Soft-delete or restore; restoring raises AlreadyExists if the name is taken."""
        ...

    def take_version(self, model_id: int, now: int, actor: str) -> tuple[int, str] | None:
        """The next version number, without gaps, and the model's name as it is under
        the row lock (a rename may have committed since the model was read); marks the
        model updated and takes its row lock, as :meth:`touch_model` does, in the same
        statement.  None if the model has been deleted meanwhile."""
        ...

    def set_model_tag(self, model_id: int, key: str, value: str) -> None: ...

    def delete_model_tag(self, model_id: int, key: str) -> bool: ...

    def model_entity(self, model: ModelRecord) -> RegisteredModel: ...

    def model_entities(self, models: list[ModelRecord]) -> list[RegisteredModel]: ...

    def search_models(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                      *, deleted: bool = False,
                      readable: Readable | None = None) -> list[RegisteredModel]:
        """``readable`` (None: everything) is applied in the query, before paging."""
        ...


class VersionRepository(Protocol):
    def insert_version(self, model_id: int, number: int, *, model_name: str, status: str,
                       stage: str = "None", description: str, source: str,
                       run_id: str | None, flavor: str | None,
                       signature: dict[str, Any] | None, metrics: dict[str, float] | None,
                       files: list[FileEntry], tags: dict[str, str], now: int,
                       actor: str) -> VersionRecord:
        """The version with its files and tags; the record a read of it would give."""
        ...

    def add_parent(self, version_id: int, parent_id: int, relation: str) -> None: ...

    def version(self, model_id: int, number: int, *,
                deleted: bool | None = False) -> VersionRecord | None: ...

    def live_version(self, name: str, *, number: int | None = None,
                     alias: str | None = None) -> VersionRecord | None:
        """A live model's live version by number or alias, in one query."""
        ...

    def version_by_id(self, version_id: int) -> VersionRecord | None: ...

    def latest_version(self, model_id: int, stage: str | None = None) -> VersionRecord | None:
        """The highest READY live version (in ``stage``, case-insensitive, if given)."""
        ...

    def latest_by_stage(self, names: list[str]) -> list[VersionRecord]:
        """For live models in ``names``: the latest READY version of each stage."""
        ...

    def versions_in_stage(self, model_id: int, stage: str) -> list[VersionRecord]: ...

    def update_version(self, version_id: int, now: int, actor: str, *,
                       description: str | None = None, stage: str | None = None) -> None: ...

    def set_version_deleted(self, version_id: int, deleted_at: int | None, now: int,
                            actor: str) -> None: ...

    def set_version_tag(self, version_id: int, key: str, value: str) -> None: ...

    def delete_version_tag(self, version_id: int, key: str) -> bool: ...

    def files(self, version_id: int) -> list[FileEntry]: ...

    def file(self, version_id: int, path: str) -> FileEntry | None: ...

    def version_entity(self, version: VersionRecord, *,
                       with_files: bool = False) -> ModelVersion: ...

    def version_entities(self, versions: list[VersionRecord], *,
                         with_files: bool = False) -> list[ModelVersion]: ...

    def new_version_entity(self, version: VersionRecord, tags: dict[str, str],
                           parents: list[tuple[int, ParentLink]]) -> ModelVersion:
        """The entity of a version inserted in this transaction, from what was written
        (``parents``: each parent's version id and link), as a read would give it."""
        ...

    def search_versions(self, node: Node | None, order: list[OrderKey], offset: int, limit: int,
                        *, deleted: bool = False,
                        readable: Readable | None = None) -> list[ModelVersion]: ...

    def purge_deleted(self, before: int) -> tuple[int, int]:
        """Remove versions and models soft-deleted before ``before``: (versions, models)."""
        ...

    def referenced_digests(self) -> set[str]: ...


class AliasRepository(Protocol):
    def alias_version(self, model_id: int, alias: str) -> int | None: ...

    def set_alias(self, model_id: int, alias: str, version: int, now: int, actor: str) -> None: ...

    def delete_alias(self, model_id: int, alias: str) -> bool: ...

    def aliases_of(self, model_id: int, version: int) -> list[str]: ...

    def delete_aliases_of(self, model_id: int, version: int) -> None: ...


class RegistryRepository(ProjectRepository, ModelRepository, VersionRepository,
                         AliasRepository, Protocol):
    """Projects, models, versions, tags and aliases (``tx.registry``)."""


class EventRepository(Protocol):
    def append(self, event: NewEvent) -> None: ...

    def list(self, *, entity_type: str | None = None, entity_id: str | None = None,
             type_prefix: str | None = None, after_id: int | None = None,
             offset: int = 0, limit: int = 100, newest_first: bool = False,
             model_id: int | None = None, readable: Readable | None = None,
             actor: str | None = None, since: int | None = None,
             types: list[str] | None = None) -> list[Event]:
        """Oldest first unless ``newest_first``; ``model_id`` keeps the events of one
        model (and its versions, aliases and deployments) whatever it was named;
        ``readable`` keeps those the actor may read, in the query (before paging);
        ``actor``, ``since`` (ms) and ``types`` (exact names) narrow further."""
        ...
