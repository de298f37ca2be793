"""What every part of the registry service holds: the stores, the clock, the stage
policy and the access service (whose :meth:`require` every method calls)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from modelyard.domain.access import AccessService
from modelyard.domain.entities import Principal
from modelyard.domain.lifecycle import DEFAULT_POLICY, LineMap, StagePolicy, policy_from_data
from modelyard.domain.lookup import find_model
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock, Transaction
from modelyard.domain.records import ModelRecord
from modelyard.domain.roles import Permission
from modelyard.errors import InvalidParameter

PolicyLoader = Callable[[str], tuple[Any, LineMap]]


def load_json_policy(source: str) -> tuple[Any, LineMap]:
    """The loader without YAML: a policy written as JSON (lines are not known)."""
    try:
        return json.loads(source), {}
    except ValueError:
        raise InvalidParameter("policy: not valid JSON (YAML needs pyyaml)") from None


def project_policy(tx: Transaction, project_id: int,
                   default: StagePolicy = DEFAULT_POLICY) -> StagePolicy:
    """The project's policy, read in ``tx`` (the default when it has none)."""
    found = tx.governance.policy(project_id)
    return default if found is None else policy_from_data(found[1])


class RegistryBase:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None,
                 policy: StagePolicy = DEFAULT_POLICY,
                 access: AccessService | None = None,
                 policy_loader: PolicyLoader = load_json_policy) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.policy = policy
        self.access = access or AccessService(store, self.clock)
        self.policy_loader = policy_loader

    def _policy(self, tx: Transaction, model: ModelRecord) -> StagePolicy:
        return project_policy(tx, model.project_id, self.policy)

    def _allow(self, actor: Principal, permission: Permission, model: ModelRecord) -> None:
        """``permission`` on ``model``, or NotFound if the actor may not even read it."""
        self.access.require_model(actor, permission, model)

    def _allow_name(self, tx: Transaction, actor: Principal, permission: Permission,
                    name: str) -> None:
        """As :meth:`_allow`, by name; no lookup for whoever sees everything."""
        if not self.access.sees_everything(actor):
            self._allow(actor, permission, find_model(tx, name))

    def _readable(self, tx: Transaction, actor: Principal, names: Iterable[str], *,
                  deleted: bool = False) -> set[str]:
        """Which of the models named the actor may read."""
        names = set(names)
        seen = self.access.visibility(actor)
        if seen.everything:
            return names
        out = set()
        for n in names:
            m = tx.registry.model(n, deleted=deleted)
            if m is not None and seen.model(m):
                out.add(n)
        return out
