"""What every part of the registry service holds: the stores, the clock, the stage
policy and the access service (whose :meth:`require` every method calls)."""

from __future__ import annotations

from collections.abc import Iterable

from modelyard.domain.access import AccessService
from modelyard.domain.entities import Principal
from modelyard.domain.lifecycle import DEFAULT_POLICY, StagePolicy
from modelyard.domain.lookup import find_model
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock, Transaction
from modelyard.domain.records import ModelRecord
from modelyard.domain.roles import Permission


class RegistryBase:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None,
                 policy: StagePolicy = DEFAULT_POLICY,
                 access: AccessService | None = None) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.policy = policy
        self.access = access or AccessService(store, self.clock)

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
