"""Permission checks for the services whose records carry no project yet (tracking,
datasets, logged models, deployments and lineage) and for blobs.

Experiments, runs, datasets and logged models belong to the ``default`` project until
they get one of their own: reading them needs ``viewer`` there, changing them
``editor``, deleting an experiment ``maintainer``.  An experiment may also be granted
on its own (MLflow's experiment permissions): the tracking methods check the role on
the experiment they touch (a run's is its experiment's), which is the higher of that
grant and the role on the default project; an experiment the actor may not read is
NotFound, and absent from searches (filtered in the query).  Creating an experiment
needs ``editor`` on the default project, and its creator becomes its maintainer.  Each service here is the plain
service with every public method checked first; a method without a rule makes the
class fail to build (default deny, in the domain too).

Blobs: uploading needs write access somewhere (an ``editor`` role on any project or
model); a blob is readable only through a manifest the actor may read (a version of
a model it can read, a run, dataset or logged model of the default project, or the
DVC object index of a project it can read: ``domain/dvc.py``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from modelyard.domain.access import AccessService
from modelyard.domain.blobs import BlobService
from modelyard.domain.datasets import DatasetService
from modelyard.domain.entities import Principal
from modelyard.domain.lineage import DEPLOYMENT_TIMEOUT_S, LineageService, Shows
from modelyard.domain.logged_models import LoggedModelService
from modelyard.domain.ports import BlobStore, BlobWriter, Clock, MetadataStore, Transaction
from modelyard.domain.roles import Permission, Role
from modelyard.domain.tracking import TrackingService
from modelyard.domain.tracking_base import TrackingBase
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
    "delete_run_artifacts": W,
    "delete_experiment": M, "restore_experiment": M,
}
#: How a tracking method names its experiment: its ``experiment_id`` argument, its
#: ``run_id``'s experiment, each of ``experiment_ids``, by name (checked on the answer),
#: the new run's, or none (the default project: creating; searching filters instead).
TRACKING_SCOPES: dict[str, str] = {
    "get_experiment": "experiment", "rename_experiment": "experiment",
    "set_experiment_tag": "experiment", "delete_experiment_tag": "experiment",
    "delete_experiment": "experiment", "restore_experiment": "experiment",
    "get_experiment_by_name": "name", "search_runs": "experiments", "create_run": "new_run",
    "create_experiment": "project", "search_experiments": "search",
}
DATASET_RULES: dict[str, Permission] = {
    "get_dataset": R, "get_dataset_version": R, "list_dataset_versions": R, "list_datasets": R,
    "resolve": R, "create_dataset_version": W,
}
LOGGED_MODEL_RULES: dict[str, Permission] = {
    "get": R, "search": R, "files": R, "file_entry": R, "run_outputs": R,
    "create": W, "add_files": W, "finalize": W, "set_tags": W, "delete_tag": W,
    "log_outputs": W, "delete": W, "log_params": W,
}
LOGGED_MODEL_SCOPES: dict[str, str] = {
    "create": "experiment", "search": "experiments", "log_outputs": "run",
    "run_outputs": "run", **{n: "logged_model" for n in (
        "get", "files", "file_entry", "add_files", "finalize", "set_tags", "delete_tag",
        "delete", "log_params")},
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


class _ExperimentScoped:
    """The checks of services whose records live in an experiment."""

    access: AccessService
    store: MetadataStore

    def _require_run(self, actor: Principal, permission: Permission, run_id: object) -> None:
        with self.store.read() as tx:
            row = tx.tracking.run(run_id) if isinstance(run_id, str) and run_id else None
        if row is not None:  # else the method says what is wrong with the id
            self.access.require_experiment(actor, permission, row.experiment_id,
                                           hide=f"run {run_id!r} does not exist")

    def _run_held(self, run_id: str) -> bool:
        with self.store.read() as tx:
            return tx.tracking.run(run_id) is not None

    def _require_experiment(self, actor: Principal, permission: Permission,
                            experiment_id: object) -> None:
        self.access.require_experiment(actor, permission, TrackingBase._exp_id(experiment_id),
                                       hide=f"experiment {experiment_id!r} does not exist")

    def _require_logged_model(self, actor: Principal, permission: Permission,
                              model_id: object) -> None:
        with self.store.read() as tx:
            row = (tx.logged_models.get(model_id) if isinstance(model_id, str) and model_id
                   and len(model_id) <= 64 else None)
        if row is not None and row.experiment_id.isdigit():
            self.access.require_experiment(actor, permission, int(row.experiment_id),
                                           hide=f"logged model {model_id!r} does not exist")


class GuardedTracking(_ExperimentScoped, TrackingService):
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None,
                 access: AccessService) -> None:
        super().__init__(store, blobs, clock)
        self.access = access

    def _readable_experiments(self, actor: Principal) -> frozenset[int] | None:
        return self.access.readable_experiments(actor)

    def _require_logged_models(self, actor: Principal, permission: Permission,
                               model_ids: Iterable[str]) -> None:
        for model_id in dict.fromkeys(model_ids):
            self._require_logged_model(actor, permission, model_id)


class GuardedLoggedModels(_ExperimentScoped, LoggedModelService):
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None,
                 access: AccessService) -> None:
        super().__init__(store, blobs, clock)
        self.access = access


def _guard_experiments(cls: type[_ExperimentScoped], rules: Mapping[str, Permission],
                       scopes: Mapping[str, str]) -> None:
    unruled = _public(cls) - set(rules)
    if unruled:
        raise TypeError(f"{cls.__name__}: no permission rule for {sorted(unruled)}")
    for name, permission in rules.items():
        setattr(cls, name, _experiment_checked(getattr(cls, name), permission, scopes[name]))


def _experiment_checked(method: Callable[..., Any], permission: Permission,
                        scope: str) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def run(self: _ExperimentScoped, actor: Principal, *args: Any, **kwargs: Any) -> Any:
        access = self.access
        if access.sees_everything(actor) and (permission is R or actor.scope != "read"):
            return method(self, actor, *args, **kwargs)
        if scope == "project":
            access.require_default(actor, permission)
            found = method(self, actor, *args, **kwargs)
            access.make_experiment_maintainer(actor, int(found.experiment_id))
            return found
        if actor.id is None:
            raise Unauthenticated("authentication required")
        if (permission is R or actor.scope != "read") and access.role_on(
                actor, access.default_project_id() or -1) >= permission.role:
            return method(self, actor, *args, **kwargs)  # the default project's role covers it
        call = signature.bind(self, actor, *args, **kwargs)
        bound = call.arguments
        if scope == "experiment":
            self._require_experiment(actor, permission, bound["experiment_id"])
        elif scope == "experiments":
            ids = bound.get("experiment_ids")
            if ids is None:  # every experiment
                access.require_default(actor, permission)
            else:
                for e in [ids] if isinstance(ids, (str, int)) else list(ids):
                    self._require_experiment(actor, permission, e)
        elif scope == "run":
            self._require_run(actor, permission, bound["run_id"])
        elif scope == "logged_model":
            self._require_logged_model(actor, permission, bound["model_id"])
        elif scope == "new_run":
            parent = bound.get("parent_run_id") or (bound.get("tags") or {}).get(
                "mlflow.parentRunId")
            if (bound.get("experiment_id") is None and isinstance(parent, str) and parent
                    and self._run_held(parent)):
                self._require_run(actor, permission, parent)
            else:  # no parent, or one of another server: the run goes where it says
                self._require_experiment(actor, permission, bound.get("experiment_id") or 0)
        elif scope == "name":
            found = method(self, actor, *args, **kwargs)
            self.access.require_experiment(actor, permission, int(found.experiment_id),
                                           hide=f"experiment {bound['name']!r} does not exist")
            return found
        return method(*call.args, **call.kwargs)
    return run


_guard_experiments(GuardedTracking, TRACKING_RULES,
                   {n: TRACKING_SCOPES.get(n, "run") for n in TRACKING_RULES})
_guard_experiments(GuardedLoggedModels, LOGGED_MODEL_RULES, LOGGED_MODEL_SCOPES)


@guarded(DATASET_RULES)
class GuardedDatasets(DatasetService):
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

    def _shows(self, actor: Principal) -> Shows:
        seen = self.access.visibility(actor)
        if seen.everything:
            return lambda tx, model: True

        def shows(tx: Transaction, model: str) -> bool:
            found = tx.registry.model(model)
            return found is not None and seen.model(found)
        return shows


class GuardedBlobs(BlobService):
    """Blob reads only through a readable manifest; writes with write access somewhere.
    Existence checks (``missing``, ``exists``) are part of uploading."""

    def __init__(self, store: BlobStore, access: AccessService, *,
                 direct_reads: bool = True) -> None:
        super().__init__(store, direct_reads=direct_reads)
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

    def check_upload(self, actor: Principal) -> None:
        self._may_write(actor)

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

    def _readable_size(self, actor: Principal, digest: str) -> int:
        self._may_read(actor, digest)  # read_many checks every digest of the batch
        return super()._readable_size(actor, digest)

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
