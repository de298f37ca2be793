"""Projects: groups of models for permissions and listing.  A model belongs to one
project, but model names stay unique across all projects (as MLflow's are), so a
project is not a namespace.  The default project exists lazily."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain.entities import Principal, Project
from modelyard.domain.names import lookalike_of, skeleton_key
from modelyard.domain.ports import Transaction
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.validation import check_description, check_name
from modelyard.domain.roles import Permission
from modelyard.errors import AlreadyExists, InvalidParameter, NotFound

DEFAULT_PROJECT = "default"


class ProjectOps(RegistryBase):
    _default_seen = False

    def _ensure_default_project(self, actor: Principal) -> None:
        """Create the default project, if it is missing, in a transaction of its own,
        before the caller's: a write that started its snapshot before a concurrent
        first write created it would not see the row under repeatable read (MariaDB),
        even after finding it with a locking read.  Once seen, it is never deleted."""
        if self._default_seen:
            return
        with self.store.write() as tx:
            self._project_id(tx, DEFAULT_PROJECT, actor)
        self._default_seen = True

    def _project_id(self, tx: Transaction, name: str, actor: Principal) -> int:
        pid = tx.registry.project_id(name)
        if pid is not None:
            return pid
        if name != DEFAULT_PROJECT:
            raise NotFound(f"project {name!r} does not exist")
        now = self.clock.now_ms()
        try:
            pid = tx.registry.insert_project(name, "The default project", now, actor.name)
        except AlreadyExists:  # a concurrent first write created it: use that one
            found = tx.registry.project_id(name, latest=True)
            if found is None:
                raise
            return found
        ev.record(tx, now, actor, ev.ProjectCreated(), "project", name, name, key=pid)
        return pid

    def create_project(self, actor: Principal, name: str, description: str = "") -> Project:
        name = check_name(name, "project name")
        description = check_description(description)
        self.access.require(actor, Permission.ADMIN)
        with self.store.write() as tx:
            now = self.clock.now_ms()
            other = lookalike_of(name, tx.registry.project_names_like(skeleton_key(name)))
            if other is not None:
                raise InvalidParameter(
                    f"project name {name!r} looks like the existing project {other!r}; "
                    "choose a name that cannot be confused with it")
            if name != DEFAULT_PROJECT or tx.registry.project_id(name) is not None:
                pid = tx.registry.insert_project(name, description, now, actor.name)
                ev.record(tx, now, actor, ev.ProjectCreated(), "project", name, name, key=pid)
            else:
                self._project_id(tx, name, actor)
        return Project(name=name, description=description, created_at=now, created_by=actor.name)

    def list_projects(self, actor: Principal) -> list[Project]:
        seen = self.access.visibility(actor)
        with self.store.read() as tx:
            found = tx.registry.list_projects()
        return [p for p in found if seen.everything or p.name in seen.project_names]
