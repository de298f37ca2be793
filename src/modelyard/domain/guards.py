"""Permission checks for the services whose records carry no project yet (tracking,
datasets, logged models, deployments and lineage) and for blobs.

Experiments, runs, datasets and logged models belong to the ``default`` project until
they get one of their own: reading them needs ``viewer`` there, changing them
``editor``, deleting an experiment ``maintainer``.  Each service here is the plain
service with every public method checked first; a method without a rule makes the
class fail to build (default deny, in the domain too).

Blobs: uploading needs write access somewhere (an ``editor`` role on any project or
model); a blob is readable only through a manifest the actor may read (a version of
a model it can read, or a run, dataset or logged model of the default project).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from modelyard.domain.access import AccessService
from modelyard.domain.blobs import BlobService
from modelyard.domain.datasets import DatasetService
from modelyard.domain.entities import Principal
from modelyard.domain.lineage import DEPLOYMENT_TIMEOUT_S, LineageService
from modelyard.domain.logged_models import LoggedModelService
from modelyard.domain.ports import BlobStore, BlobWriter, Clock, MetadataStore
from modelyard.domain.roles import Permission, Role
from modelyard.domain.tracking import TrackingService
from modelyard.errors import NotFound, PermissionDenied, Unauthenticated

R, W, M = Permission.READ, Permission.WRITE, Permission.MANAGE
C = TypeVar("C", bound=type)

TRACKING_RULES: dict[str, Permission] = {
    "get_experiment": R, "get_experiment_by_name": R, "search_experiments": R, "get_run": R,
    "search_runs": R, "get_metric_history": R, "metric_series": R, "list_run_artifacts": R,
    "run_artifact_entry": R, "run_artifact_files": R,
    "create_experiment": W, "rename_experiment": W, "set_experiment_tag": W,
    "delete_experiment_tag": W, "create_run": W, "update_run": W, "delete_run": W,
    "restore_run": W, "log_metric": W, "log_param": W, "log_batch": W, "set_run_tag": W,
    "delete_run_tag": W, "log_inputs": W, "add_run_artifacts": W,
    "delete_experiment": M, "restore_experiment": M,
}
DATASET_RULES: dict[str, Permission] = {
    "get_dataset": R, "get_dataset_version": R, "list_dataset_versions": R, "list_datasets": R,
    "resolve": R, "create_dataset_version": W,
}
LOGGED_MODEL_RULES: dict[str, Permission] = {
    "get": R, "search": R, "files": R, "file_entry": R, "run_outputs": R,
    "create": W, "add_files": W, "finalize": W, "set_tags": W, "delete_tag": W,
    "log_outputs": W, "delete": W,
}
LINEAGE_RULES: dict[str, Permission] = {
    "lineage": R, "list_deployments": R, "get_deployment": R, "resolve_id": R,
    "record_deployment": M, "end_deployment": M, "heartbeat_deployment": M,
}


def _public(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def guarded(rules: Mapping[str, Permission]) -> Callable[[C], C]:
    """Check ``rules[name]`` on the default project before each public method."""
    def apply(cls: C) -> C:
        unruled = _public(cls) - set(rules)
        if unruled:
            raise TypeError(f"{cls.__name__}: no permission rule for {sorted(unruled)}")
        for name, permission in rules.items():
            setattr(cls, name, _checked(getattr(cls, name), permission))
        return cls
    return apply


def _checked(method: Callable[..., Any], permission: Permission) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: Any, actor: Principal, *args: Any, **kwargs: Any) -> Any:
        self.access.require_default(actor, permission)
        return method(self, actor, *args, **kwargs)
    return run


@guarded(TRACKING_RULES)
class GuardedTracking(TrackingService):
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None,
                 access: AccessService) -> None:
        super().__init__(store, blobs, clock)
        self.access = access


@guarded(DATASET_RULES)
class GuardedDatasets(DatasetService):
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None,
                 access: AccessService) -> None:
        super().__init__(store, blobs, clock)
        self.access = access


@guarded(LOGGED_MODEL_RULES)
class GuardedLoggedModels(LoggedModelService):
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None,
                 access: AccessService) -> None:
        super().__init__(store, blobs, clock)
        self.access = access


@guarded(LINEAGE_RULES)
class GuardedLineage(LineageService):
    def __init__(self, store: MetadataStore, clock: Clock | None, access: AccessService, *,
                 deployment_timeout_s: float = DEPLOYMENT_TIMEOUT_S) -> None:
        super().__init__(store, clock, deployment_timeout_s=deployment_timeout_s)
        self.access = access


class GuardedBlobs(BlobService):
    """Blob reads only through a readable manifest; writes with write access somewhere.
    Existence checks (``missing``, ``exists``) are part of uploading."""

    def __init__(self, store: BlobStore, access: AccessService) -> None:
        super().__init__(store)
        self.access = access

    def _may_write(self, actor: Principal) -> None:
        if self.access.sees_everything(actor):
            return
        if actor.id is None:
            raise Unauthenticated("authentication required")
        if actor.scope == "read" or max(
                (r for r, _ in self.access.roles(actor).values()), default=0) < Role.EDITOR:
            raise PermissionDenied("uploading needs write access to a project or a model")

    def _may_read(self, actor: Principal, digest: str) -> None:
        if not self.access.blob_readable(actor, digest):
            raise NotFound(f"blob {digest} does not exist")

    def missing(self, actor: Principal, digests: list[str]) -> list[str]:
        self._may_write(actor)
        return super().missing(actor, digests)

    def exists(self, actor: Principal, digest: str) -> bool:
        self._may_write(actor)
        return super().exists(actor, digest)

    def writer(self, actor: Principal, digest: str | None, max_size: int) -> BlobWriter:
        self._may_write(actor)
        return super().writer(actor, digest, max_size)

    def put_file(self, actor: Principal, path: str, digest: str) -> int:
        self._may_write(actor)
        return super().put_file(actor, path, digest)

    def size(self, actor: Principal, digest: str) -> int:
        self._may_read(actor, digest)
        return super().size(actor, digest)

    def read_chunks(self, actor: Principal, digest: str, start: int = 0,
                    end: int | None = None) -> Iterator[bytes]:
        self._may_read(actor, digest)
        return super().read_chunks(actor, digest, start, end)

    def local_path(self, actor: Principal, digest: str) -> str | None:
        self._may_read(actor, digest)
        return super().local_path(actor, digest)

    # Maintenance (garbage collection) is for admins.
    def stored(self, actor: Principal) -> Iterator[tuple[str, float]]:
        self.access.require(actor, Permission.ADMIN)
        return super().stored(actor)

    def delete(self, actor: Principal, digest: str) -> None:
        self.access.require(actor, Permission.ADMIN)
        super().delete(actor, digest)

    def sweep_temp(self, actor: Principal, older_than: float, *,
                   dry_run: bool = False) -> tuple[int, int]:
        self.access.require(actor, Permission.ADMIN)
        return super().sweep_temp(actor, older_than, dry_run=dry_run)


__all__ = ["GuardedBlobs", "GuardedDatasets", "GuardedLineage",
           "GuardedLoggedModels", "GuardedTracking", "guarded"]
