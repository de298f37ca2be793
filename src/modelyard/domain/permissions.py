"""The permission check every domain service makes: :meth:`PermissionOps.require`.

An actor's role on a model is the highest of: its grants (as a user, or through a
group) on the model, on the model's project, and the project's default role for every
authenticated user.  A system admin holds every permission; so does every actor while
no user is defined (the open mode).  What an actor may not read does not exist for it:
``require(..., hide="...")`` answers NotFound with that message, never 403.

Experiments (and their runs) belong to the default project: an actor's role on an
experiment is the highest of its role on the default project and its grants on that
experiment (MLflow's per-experiment permissions).  So a viewer of the default project
reads every experiment, and a user granted READ on one experiment reads that one only.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelyard.domain.authn import AuthnOps
from modelyard.domain.access_events import ACCESS_ENTITY_TYPES
from modelyard.domain.access_records import Readable
from modelyard.domain.entities import Event, Principal
from modelyard.domain.lookup import model_missing
from modelyard.domain.records import ModelRecord
from modelyard.domain.roles import Permission, Role
from modelyard.errors import NotFound, PermissionDenied, Unauthenticated

AUTHENTICATED = "*"  # the subject of a project's default role
DEFAULT_PROJECT = "default"  # projects.DEFAULT_PROJECT (which imports this module's users)


@dataclass(frozen=True)
class Visibility:
    """What an actor may read: everything, or these projects and models (by id)."""

    everything: bool
    projects: frozenset[int] = frozenset()
    models: frozenset[int] = frozenset()
    project_names: frozenset[str] = frozenset()

    @property
    def readable(self) -> Readable | None:
        """The store's filter: None when everything is readable."""
        if self.everything:
            return None
        return Readable(self.projects, self.models, self.project_names, ACCESS_ENTITY_TYPES)

    def model(self, model: ModelRecord) -> bool:
        return self.everything or model.project_id in self.projects or model.id in self.models

    def event(self, event: Event) -> bool:
        """Events of access control are for admins; a model's events go with the model,
        the others with their project."""
        if self.everything:
            return True
        if event.entity_type in ACCESS_ENTITY_TYPES:
            return False
        if event.model_id is not None and event.model_id in self.models:
            return True
        return event.project in self.project_names


class PermissionOps(AuthnOps):
    def roles(self, actor: Principal) -> dict[tuple[str, int], tuple[int, str]]:
        """``(scope kind, scope id) -> (role, scope name)`` of an authenticated actor
        (cached briefly)."""
        key = (actor.name, actor.groups)
        found = self._roles.get(key)
        if found is None:
            subjects = [("user", actor.name), ("authenticated", AUTHENTICATED)]
            subjects += [("group", g) for g in actor.groups]
            found = {}
            with self.store.read() as tx:
                for g in tx.access.grants(subjects=subjects):
                    role = Role[g.role.upper()].value
                    where = (g.scope_kind, g.scope_id)
                    found[where] = (max(found.get(where, (0, ""))[0], role), g.scope_name)
            self._roles.put(key, found)
        return found

    def role_on(self, actor: Principal, project_id: int | None,
                model_id: int | None = None) -> int:
        """The actor's role on a model (or a project): 0 for none."""
        if actor.is_admin or self.is_open():
            return Role.ADMIN.value
        if actor.id is None:
            return 0
        roles = self.roles(actor)
        return max(roles.get(("project", project_id), (0, ""))[0] if project_id is not None else 0,
                   roles.get(("model", model_id), (0, ""))[0] if model_id is not None else 0)

    def require(self, actor: Principal, permission: Permission, *,
                project_id: int | None = None, model_id: int | None = None,
                hide: str | None = None) -> None:
        """Raise unless ``actor`` holds ``permission`` on the model or project given
        (neither: on the registry, i.e. admin).  Without READ, ``hide`` is the NotFound
        message (the thing is invisible); with READ but not enough, PermissionDenied."""
        if actor.is_admin and (permission is Permission.READ or actor.scope != "read"):
            return
        if self.is_open():
            return
        if actor.id is None:
            raise Unauthenticated("authentication required")
        role = self.role_on(actor, project_id, model_id)
        if actor.scope == "read" and permission is not Permission.READ:
            if role < Role.VIEWER and hide is not None:
                raise NotFound(hide)
            raise PermissionDenied("this token is read-only")
        if role >= permission.role:
            return
        if role < Role.VIEWER and hide is not None:
            raise NotFound(hide)
        raise PermissionDenied(f"{permission.name.lower()} access is needed for this")

    def require_model(self, actor: Principal, permission: Permission, model: ModelRecord) -> None:
        self.require(actor, permission, project_id=model.project_id, model_id=model.id,
                     hide=model_missing(model.name))

    def default_project_id(self) -> int | None:
        found = self._default.get("")
        if found is None:
            with self.store.read() as tx:
                found = tx.registry.project_id(DEFAULT_PROJECT) or 0
            if found:
                self._default.put("", found)
        return found or None

    def require_default(self, actor: Principal, permission: Permission) -> None:
        """``permission`` on the default project (where experiments, runs, datasets and
        logged models belong until they have a project of their own)."""
        if self.sees_everything(actor) and (permission is Permission.READ
                                            or actor.scope != "read"):
            return
        self.require(actor, permission, project_id=self.default_project_id() or -1)

    def blob_readable(self, actor: Principal, digest: str) -> bool:
        """Through some manifest the actor may read."""
        if self.sees_everything(actor):
            return True
        if actor.id is None:
            raise Unauthenticated("authentication required")
        with self.store.read() as tx:
            models, tracked = tx.access.blob_owners(digest)
        if any(self.role_on(actor, pid, mid) >= Role.VIEWER for mid, pid in models):
            return True
        if not tracked:
            return False
        readable = self.readable_experiments(actor)  # None: the default project's reader
        if readable is None:
            return True
        if not readable:
            return False
        with self.store.read() as tx:
            return bool(tx.access.blob_experiments(digest) & readable)

    def experiment_role(self, actor: Principal, experiment_id: int) -> int:
        """The actor's role on an experiment: 0 for none."""
        role = self.role_on(actor, self.default_project_id() or -1)
        if role >= Role.ADMIN or actor.id is None:
            return role
        return max(role, self.roles(actor).get(("experiment", experiment_id), (0, ""))[0])

    def require_experiment(self, actor: Principal, permission: Permission,
                           experiment_id: int, *, hide: str) -> None:
        """As :meth:`require`, on an experiment: NotFound (``hide``) without READ."""
        if self.sees_everything(actor) and (permission is Permission.READ
                                            or actor.scope != "read"):
            return
        if actor.id is None:
            raise Unauthenticated("authentication required")
        role = self.experiment_role(actor, experiment_id)
        if role < Role.VIEWER:
            raise NotFound(hide)
        if actor.scope == "read" and permission is not Permission.READ:
            raise PermissionDenied("this token is read-only")
        if role < permission.role:
            raise PermissionDenied(f"{permission.name.lower()} access is needed for this")

    def readable_experiments(self, actor: Principal) -> frozenset[int] | None:
        """The experiments an actor may read, when not all of them (None: all)."""
        if self.sees_everything(actor):
            return None
        if actor.id is None:
            raise Unauthenticated("authentication required")
        if self.role_on(actor, self.default_project_id() or -1) >= Role.VIEWER:
            return None
        return frozenset(i for (k, i), (r, _) in self.roles(actor).items()
                         if k == "experiment" and r)

    def sees_everything(self, actor: Principal) -> bool:
        return actor.is_admin or self.is_open()

    def visibility(self, actor: Principal) -> Visibility:
        if actor.is_admin or self.is_open():
            return Visibility(True)
        if actor.id is None:
            raise Unauthenticated("authentication required")
        roles = self.roles(actor)
        return Visibility(False,
                          frozenset(i for (k, i), (r, _) in roles.items() if k == "project" and r),
                          frozenset(i for (k, i), (r, _) in roles.items() if k == "model" and r),
                          frozenset(n for (k, _), (r, n) in roles.items() if k == "project" and r))
