"""Aliases: (model, name) -> version; moving one is one atomic update."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain.entities import ModelVersion, Principal
from modelyard.domain.lookup import find_model, find_version
from modelyard.domain.refs import ref_from_parts
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.roles import Permission
from modelyard.domain.validation import check_alias
from modelyard.errors import NotFound


class AliasOps(RegistryBase):
    def set_alias(self, actor: Principal, name: str, alias: str,
                  version: int | str) -> ModelVersion:
        check_alias(alias)
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.MANAGE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            before = tx.registry.alias_version(model.id, alias)
            tx.registry.set_alias(model.id, alias, v.version, now, actor.name)
            ev.on_alias(tx, now, actor, ev.AliasSet(before, v.version), model, alias)
            return tx.registry.version_entity(v)

    def delete_alias(self, actor: Principal, name: str, alias: str) -> None:
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.MANAGE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            before = tx.registry.alias_version(model.id, alias)
            if not tx.registry.delete_alias(model.id, alias):
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            ev.on_alias(tx, now, actor, ev.AliasDeleted(before), model, alias)
