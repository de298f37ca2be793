"""What every part of the registry service holds: the stores, the clock, the stage
policy."""

from __future__ import annotations

from modelyard.domain.lifecycle import DEFAULT_POLICY, StagePolicy
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock


class RegistryBase:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None,
                 policy: StagePolicy = DEFAULT_POLICY) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.policy = policy
