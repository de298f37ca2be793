"""Stage transitions of model versions, under the project's stage policy (read in
the transaction that performs the transition).

A transition whose rule asks for approvals opens a transition request instead
(:mod:`modelyard.domain.requests`) and raises :class:`ApprovalRequired` naming it,
after the request is committed.  Gates are checked when the transition is asked for
and again when it is performed."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain import governance_events as gev
from modelyard.domain.entities import ModelVersion, Principal
from modelyard.domain.gates import check_gates
from modelyard.domain.governance_records import NewRequest
from modelyard.domain.lifecycle import StagePolicy, TransitionRule
from modelyard.domain.lookup import find_version, version_by_id
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord, VersionRecord
from modelyard.domain.refs import ref_from_parts
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.roles import Permission
from modelyard.domain.validation import check_text
from modelyard.errors import ApprovalRequired, Conflict


class StageOps(RegistryBase):
    def transition_stage(self, actor: Principal, name: str, version: int | str, stage: str,
                         *, archive_existing: bool = False, comment: str = "") -> ModelVersion:
        comment = check_text(comment, "comment", 4096)
        opened: str | None = None
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.MANAGE, model)
            policy = self._policy(tx, model)
            target = policy.canonical(stage)
            current = policy.current(v.stage)
            rule = policy.rule(current, target)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            entity = tx.registry.version_entity(v)
            check_gates(rule.gates, entity, f"{current} -> {target}")
            if rule.approvals is None:
                return self._perform(tx, actor, policy, rule, model, v, current, target,
                                     archive_existing, None, now)
            existing = tx.governance.open_request_for(v.id, target)
            if existing is not None:
                raise Conflict(f"request #{existing} to move {v.ref} to {target} is open "
                               "already")
            a = rule.approvals
            rid = tx.governance.insert_request(NewRequest(
                model.id, v.id, v.version, current, target, actor.name, a.count,
                a.role.label, a.allow_requester, comment, archive_existing, now))
            ev.on_version(tx, now, actor, gev.RequestOpened(rid, current, target, a.count,
                                                            a.role.label), model, v)
            opened = f"request #{rid} opened: {a.describe()}"
        raise ApprovalRequired(opened)

    def _perform(self, tx: Transaction, actor: Principal, policy: StagePolicy,
                 rule: TransitionRule, model: ModelRecord, v: VersionRecord, current: str,
                 target: str, archive_existing: bool, request_id: int | None,
                 now: int) -> ModelVersion:
        """Move ``v`` to ``target`` (the model's row lock is held)."""
        archived = []
        archive = archive_existing or rule.archive_previous
        if archive and (policy.custom or target in ("Staging", "Production")):
            retired = self._archive_stage(policy)
            for other in tx.registry.versions_in_stage(model.id, target):
                if other.id != v.id:
                    tx.registry.update_version(other.id, now, actor.name, stage=retired)
                    archived.append(other.version)
        limit = policy.max_in_stage.get(target)
        if limit is not None and tx.governance.count_in_stage(model.id, target,
                                                              lock=True) >= limit:
            raise Conflict(f"stage {target} of {model.name!r} holds at most {limit} "
                           f"version(s); move one out first")
        tx.registry.update_version(v.id, now, actor.name, stage=target)
        ev.on_version(tx, now, actor, ev.VersionStageChanged(v.stage, target, archived,
                                                             request_id), model, v)
        for alias, arule in policy.protected_aliases.items():
            if arule.only_via == (current, target):
                before = tx.registry.alias_version(model.id, alias)
                tx.registry.set_alias(model.id, alias, v.version, now, actor.name)
                tx.governance.move_alias(model.id, alias, v.version, now, actor.name,
                                         "transition", request_id)
                ev.on_alias(tx, now, actor, ev.AliasSet(before, v.version, "transition",
                                                        request_id), model, alias)
        return tx.registry.version_entity(version_by_id(tx, v.id))

    @staticmethod
    def _archive_stage(policy: StagePolicy) -> str:
        for name in ("Archived", "retired", "archive"):
            for known in policy.stages:
                if known.lower() == name.lower():
                    return known
        return policy.stages[-1]
