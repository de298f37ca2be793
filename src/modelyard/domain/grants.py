"""Role grants: a role for a user, a group, or every authenticated user (a project's
default role), on a project, a registered model or an experiment.  A project's grants
are managed by admins (of the registry or of the project); a model's by its
maintainers; an experiment's by its maintainers (its creator, and the maintainers of
the default project it belongs to)."""

from __future__ import annotations

from modelyard.domain import access_events as aev
from modelyard.domain import events as ev
from modelyard.domain.access_records import Grant, GrantRecord, grant_entity
from modelyard.domain.entities import Principal
from modelyard.domain.lookup import find_model
from modelyard.domain.permissions import AUTHENTICATED, DEFAULT_PROJECT, PermissionOps
from modelyard.domain.ports import Transaction
from modelyard.domain.roles import Permission, parse_role
from modelyard.errors import InvalidParameter, NotFound


class GrantOps(PermissionOps):
    def make_maintainer(self, tx: Transaction, actor: Principal, model_id: int, now: int) -> None:
        """Who creates a model becomes its maintainer (in the creating transaction)."""
        if actor.id is None or actor.is_admin:
            return
        tx.access.put_grant(GrantRecord("user", actor.name, "maintainer", "model", model_id,
                                        "", now, actor.name))
        self._roles.clear()

    def make_experiment_maintainer(self, actor: Principal, experiment_id: int) -> None:
        """Who creates an experiment becomes its maintainer."""
        if actor.id is None or actor.is_admin:
            return
        with self.store.write() as tx:
            tx.access.put_grant(GrantRecord("user", actor.name, "maintainer", "experiment",
                                            experiment_id, "", self.clock.now_ms(),
                                            actor.name))
        self._roles.clear()

    def _scope(self, tx: Transaction, actor: Principal, project: str | None,
               model: str | None, experiment: str | None = None) -> tuple[str, int, str]:
        """The scope named, once the actor may manage its grants."""
        if [project, model, experiment].count(None) != 2:
            raise InvalidParameter("give exactly one of project, model and experiment")
        if experiment is not None:
            eid = _experiment_id(experiment)
            hide = f"experiment {experiment!r} does not exist"
            exp = tx.tracking.experiment(eid) if eid is not None else None
            if exp is None:
                raise NotFound(hide)
            self.require_experiment(actor, Permission.MANAGE, exp.id, hide=hide)
            return "experiment", exp.id, exp.name
        if model is not None:
            found = find_model(tx, model)
            self.require_model(actor, Permission.MANAGE, found)
            return "model", found.id, found.name
        assert project is not None
        pid = tx.registry.project_id(project)
        if pid is None and project == DEFAULT_PROJECT:  # it exists lazily
            now = self.clock.now_ms()
            pid = tx.registry.insert_project(project, "The default project", now, actor.name)
            ev.record(tx, now, actor, ev.ProjectCreated(), "project", project, project, key=pid)
        if pid is None:
            raise NotFound(f"project {project!r} does not exist")
        self.require(actor, Permission.ADMIN, project_id=pid,
                     hide=f"project {project!r} does not exist")
        return "project", pid, project

    def _subject_of(self, tx: Transaction, subject: str, group: bool) -> str:
        if subject == AUTHENTICATED:
            return "authenticated"
        if group:
            return "group"
        return "user" if tx.access.user(subject) is not None else "group"

    def grant_role(self, actor: Principal, subject: str, role: str, *,
                   project: str | None = None, model: str | None = None,
                   experiment: str | None = None, group: bool = False) -> Grant:
        """Grant ``role`` to a user (a known user name), a group (any other name, or
        ``group=True``) or, with subject ``*``, every authenticated user."""
        wanted = parse_role(role)
        with self.store.write() as tx:
            kind, sid, sname = self._scope(tx, actor, project, model, experiment)
            skind = self._subject_of(tx, subject, group)
            now = self.clock.now_ms()
            record = GrantRecord(skind, subject, wanted.label, kind, sid, sname, now, actor.name)
            tx.access.put_grant(record)
            ev.record(tx, now, actor, aev.GrantAdded(subject, skind, wanted.label, kind, sname),
                      "grant", f"{subject}:{kind}:{sname}", project or "")
        self.changed()
        return grant_entity(record)

    def revoke_role(self, actor: Principal, subject: str, *, project: str | None = None,
                    model: str | None = None, experiment: str | None = None,
                    group: bool = False) -> None:
        with self.store.write() as tx:
            kind, sid, sname = self._scope(tx, actor, project, model, experiment)
            skind = self._subject_of(tx, subject, group)
            if not tx.access.delete_grant(skind, subject, kind, sid):
                raise NotFound(f"{subject!r} has no role on {kind} {sname!r}")
            ev.record(tx, self.clock.now_ms(), actor,
                      aev.GrantRevoked(subject, skind, kind, sname),
                      "grant", f"{subject}:{kind}:{sname}", project or "")
        self.changed()

    def list_grants(self, actor: Principal, *, user: str | None = None,
                    project: str | None = None, model: str | None = None,
                    experiment: str | None = None) -> list[Grant]:
        """Grants, optionally of one user (with its groups') or on one scope; an actor
        who is not an admin sees only the grants on what it may read."""
        with self.store.read() as tx:
            subjects = None
            if user is not None:
                found = tx.access.user(user)
                groups = found.groups if found is not None else ()
                subjects = [("user", user)] + [("group", g) for g in groups]
            scope_kind = scope_id = None
            if model is not None:
                m = find_model(tx, model)
                self.require_model(actor, Permission.READ, m)
                scope_kind, scope_id = "model", m.id
            elif experiment is not None:
                eid = _experiment_id(experiment)
                hide = f"experiment {experiment!r} does not exist"
                if eid is None or tx.tracking.experiment(eid) is None:
                    raise NotFound(hide)
                self.require_experiment(actor, Permission.READ, eid, hide=hide)
                scope_kind, scope_id = "experiment", eid
            elif project is not None:
                pid = tx.registry.project_id(project)
                if pid is None:
                    raise NotFound(f"project {project!r} does not exist")
                scope_kind, scope_id = "project", pid
            records = tx.access.grants(subjects=subjects, scope_kind=scope_kind,
                                       scope_id=scope_id)
        seen = self.visibility(actor)
        if not seen.everything:
            experiments = self.readable_experiments(actor)
            shown = {("project", p) for p in seen.projects} | {("model", m) for m in seen.models}
            records = [g for g in records if (g.scope_kind, g.scope_id) in shown or (
                g.scope_kind == "experiment" and (experiments is None
                                                  or g.scope_id in experiments))]
        return [grant_entity(g) for g in records]


def _experiment_id(text: object) -> int | None:
    value = str(text) if isinstance(text, (str, int)) and not isinstance(text, bool) else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None
