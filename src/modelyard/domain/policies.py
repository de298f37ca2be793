"""Project policies: set, show and remove a project's stage policy.

Setting one needs ``maintainer`` on the project; reading it, ``viewer``.  The document
is validated whole before anything is stored (errors name the line)."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain import governance_events as gev
from modelyard.domain.entities import Principal
from modelyard.domain.governance_records import PolicyDocument
from modelyard.domain.lifecycle import describe, policy_from_data
from modelyard.domain.ports import Transaction
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.roles import Permission
from modelyard.errors import InvalidParameter, NotFound


class PolicyOps(RegistryBase):
    def _project(self, tx: Transaction, actor: Principal, project: str,
                 permission: Permission) -> int:
        pid = tx.registry.project_id(project) if isinstance(project, str) else None
        hide = f"project {project!r} does not exist"
        if pid is None:
            raise NotFound(hide)
        self.access.require(actor, permission, project_id=pid, hide=hide)
        return pid

    def get_policy(self, actor: Principal, project: str) -> PolicyDocument:
        """The project's policy; without one, the default (``data.custom`` is false)."""
        with self.store.read() as tx:
            pid = self._project(tx, actor, project, Permission.READ)
            found = tx.governance.policy(pid)
        if found is None:
            return PolicyDocument(project, "", describe(self.policy))
        source, data, at, by = found
        return PolicyDocument(project, source, data, at, by)

    def set_policy(self, actor: Principal, project: str, source: str) -> PolicyDocument:
        if not isinstance(source, str) or not source.strip():
            raise InvalidParameter("policy: the document is empty")
        data, lines = self.policy_loader(source)
        policy = policy_from_data(data, lines)
        with self.store.write() as tx:
            pid = self._project(tx, actor, project, Permission.MANAGE)
            now = self.clock.now_ms()
            tx.governance.set_policy(pid, source, data, now, actor.name)
            ev.record(tx, now, actor, gev.PolicySet(list(policy.stages)), "project", project,
                      project, key=pid)
        return PolicyDocument(project, source, data, now, actor.name)

    def delete_policy(self, actor: Principal, project: str) -> None:
        """Back to the default policy."""
        with self.store.write() as tx:
            pid = self._project(tx, actor, project, Permission.MANAGE)
            if not tx.governance.delete_policy(pid):
                raise NotFound(f"project {project!r} has no policy of its own")
            ev.record(tx, self.clock.now_ms(), actor, gev.PolicyDeleted(), "project", project,
                      project, key=pid)
