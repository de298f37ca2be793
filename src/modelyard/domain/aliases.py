"""Aliases: (model, name) -> version; moving one is one atomic update.

Every move is also kept as history (who, when, through which request), so what an
alias pointed at any time ago is one indexed query.  A protected alias (the project
policy's ``protected_aliases``) moves only for its role, or only through the
transition it names.  Several moves in one request are one transaction."""

from __future__ import annotations

from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import ModelVersion, Page, Principal
from modelyard.domain.governance_records import AliasMove
from modelyard.domain.lookup import find_model, find_version
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord
from modelyard.domain.refs import ref_from_parts
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.roles import Permission
from modelyard.domain.validation import check_alias, check_int, check_max_results
from modelyard.errors import InvalidParameter, NoSuchAlias, NotFound, PermissionDenied

MAX_BATCH = 100


class AliasOps(RegistryBase):
    def set_alias(self, actor: Principal, name: str, alias: str,
                  version: int | str) -> ModelVersion:
        return self.set_aliases(actor, name, {alias: version})[0]

    def set_aliases(self, actor: Principal, name: str, moves: dict[str, Any], *,
                    via: str = "set") -> list[ModelVersion]:
        """Move every alias of ``moves`` (alias -> version; None removes it) at once."""
        if not isinstance(moves, dict) or not moves or len(moves) > MAX_BATCH:
            raise InvalidParameter(f"give 1 to {MAX_BATCH} alias moves")
        for alias in moves:
            check_alias(alias)
        out = []
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.MANAGE, model)
            self._check_protected(tx, actor, model, list(moves))
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            targets = {}
            for alias, version in moves.items():
                if version is not None:
                    targets[alias] = find_version(tx, self.policy,
                                                  ref_from_parts(name, version))[1]
            for alias, version in moves.items():
                before = tx.registry.alias_version(model.id, alias)
                if version is None:
                    if not tx.registry.delete_alias(model.id, alias):
                        raise NoSuchAlias(f"model {name!r} has no alias {alias!r}")
                    tx.governance.move_alias(model.id, alias, None, now, actor.name, via, None)
                    ev.on_alias(tx, now, actor, ev.AliasDeleted(before), model, alias)
                    continue
                v = targets[alias]
                tx.registry.set_alias(model.id, alias, v.version, now, actor.name)
                tx.governance.move_alias(model.id, alias, v.version, now, actor.name, via, None)
                ev.on_alias(tx, now, actor, ev.AliasSet(before, v.version, via), model, alias)
                out.append(v)
            return tx.registry.version_entities(out)

    def _check_protected(self, tx: Transaction, actor: Principal, model: ModelRecord,
                         aliases: list[str]) -> None:
        policy = self._policy(tx, model)
        for alias in aliases:
            rule = policy.protected_aliases.get(alias)
            if rule is None:
                continue
            if rule.only_via is not None:
                raise PermissionDenied(f"alias {alias!r} is protected: it moves only through "
                                       f"the transition {rule.only_via[0]} -> {rule.only_via[1]}")
            if rule.role is not None and self.access.role_on(
                    actor, model.project_id, model.id) < rule.role:
                raise PermissionDenied(f"alias {alias!r} is protected: moving it needs the "
                                       f"{rule.role.label} role")

    def delete_alias(self, actor: Principal, name: str, alias: str) -> None:
        self.set_aliases(actor, name, {alias: None})

    def swap_aliases(self, actor: Principal, name: str, first: str,
                     second: str) -> list[ModelVersion]:
        """Exchange the versions of two aliases in one transaction."""
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            a = tx.registry.alias_version(model.id, first)
            b = tx.registry.alias_version(model.id, second)
        if a is None or b is None:
            missing = first if a is None else second
            raise NoSuchAlias(f"model {name!r} has no alias {missing!r}")
        return self.set_aliases(actor, name, {first: b, second: a}, via="swap")

    def rollback_alias(self, actor: Principal, name: str, alias: str) -> ModelVersion:
        """Move the alias back to the version that held it before the current one,
        under the same rules as any move."""
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            history = tx.governance.alias_history(model.id, alias, limit=50)
            current = tx.registry.alias_version(model.id, alias)
        previous = next((m.version for m in history
                         if m.valid_to is not None and m.version != current
                         and m.valid_to > m.valid_from), None)
        if previous is None:
            raise NotFound(f"alias {alias!r} of model {name!r} has no earlier holder")
        return self.set_aliases(actor, name, {alias: previous}, via="rollback")[0]

    def alias_history(self, actor: Principal, name: str, alias: str, *,
                      max_results: int | None = None,
                      page_token: str | None = None) -> Page[AliasMove]:
        """Every holder of the alias, newest first."""
        check_alias(alias)
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            items = tx.governance.alias_history(model.id, alias, offset=offset,
                                                limit=limit + 1)
        return page_of(items, offset, limit)

    def alias_at(self, actor: Principal, name: str, alias: str, at: int) -> ModelVersion:
        """The version the alias pointed at, at ``at`` (ms since the epoch)."""
        at = check_int(at, "at")
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            move = tx.governance.alias_at(model.id, alias, at)
            if move is None:
                raise NotFound(f"alias {alias!r} of model {name!r} pointed at no version then")
            v = tx.registry.version(model.id, move.version, deleted=None)
            if v is None:
                raise NotFound(f"version {move.version} of model {name!r} does not exist")
            return tx.registry.version_entity(v)
