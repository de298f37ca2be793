"""Stage transitions of model versions, under the project's stage policy."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain.entities import ModelVersion, Principal
from modelyard.domain.lookup import find_version, version_by_id
from modelyard.domain.refs import ref_from_parts
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.roles import Permission


class StageOps(RegistryBase):
    def transition_stage(self, actor: Principal, name: str, version: int | str, stage: str,
                         *, archive_existing: bool = False) -> ModelVersion:
        target = self.policy.canonical(stage)
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.MANAGE, model)
            self.policy.check_transition(v.stage, target)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            tx.registry.update_version(v.id, now, actor.name, stage=target)
            archived = []
            if archive_existing and target in ("Staging", "Production"):
                for other in tx.registry.versions_in_stage(model.id, target):
                    if other.id != v.id:
                        tx.registry.update_version(other.id, now, actor.name, stage="Archived")
                        archived.append(other.version)
            ev.on_version(tx, now, actor, ev.VersionStageChanged(v.stage, target, archived),
                          model, v)
            return tx.registry.version_entity(version_by_id(tx, v.id))
