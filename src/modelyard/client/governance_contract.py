"""The governance operations of the client contract (project policies, transition
requests, alias history and moves);
:class:`~modelyard.client.contract.ClientOperations` includes them."""

from __future__ import annotations

from abc import ABC, abstractmethod

from modelyard.domain.entities import ModelVersion, Page
from modelyard.domain.governance_records import AliasMove, PolicyDocument, TransitionRequest


class GovernanceOperations(ABC):
    @abstractmethod
    def get_policy(self, project: str) -> PolicyDocument: ...

    @abstractmethod
    def set_policy(self, project: str, source: str) -> PolicyDocument: ...

    @abstractmethod
    def delete_policy(self, project: str) -> None: ...

    @abstractmethod
    def list_requests(self, model: str | None = None, open_only: bool = False,
                      max_results: int = 100,
                      page_token: str | None = None) -> Page[TransitionRequest]: ...

    @abstractmethod
    def get_request(self, request_id: int) -> TransitionRequest: ...

    @abstractmethod
    def approve_request(self, request_id: int, comment: str = "") -> TransitionRequest: ...

    @abstractmethod
    def reject_request(self, request_id: int, comment: str = "") -> TransitionRequest: ...

    @abstractmethod
    def cancel_request(self, request_id: int) -> TransitionRequest: ...

    @abstractmethod
    def alias_history(self, name: str, alias: str, max_results: int = 100,
                      page_token: str | None = None) -> Page[AliasMove]: ...

    @abstractmethod
    def alias_at(self, name: str, alias: str, at: int) -> ModelVersion:
        """The version ``alias`` pointed at, at ``at`` (ms since the epoch)."""

    @abstractmethod
    def rollback_alias(self, name: str, alias: str) -> ModelVersion: ...

    @abstractmethod
    def move_aliases(self, name: str, moves: dict[str, int | None]) -> list[ModelVersion]:
        """Several alias moves (None removes one) in one atomic request."""

    @abstractmethod
    def swap_aliases(self, name: str, first: str, second: str) -> list[ModelVersion]: ...
