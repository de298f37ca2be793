"""The governance operations in process (the registry service)."""

from __future__ import annotations

from modelyard.client.governance_contract import GovernanceOperations
from modelyard.domain.entities import ModelVersion, Page, Principal
from modelyard.domain.governance_records import AliasMove, PolicyDocument, TransitionRequest
from modelyard.services import Services


class LocalGovernanceMixin(GovernanceOperations):
    services: Services
    who: Principal

    def get_policy(self, project: str) -> PolicyDocument:
        return self.services.registry.get_policy(self.who, project)

    def set_policy(self, project: str, source: str) -> PolicyDocument:
        return self.services.registry.set_policy(self.who, project, source)

    def delete_policy(self, project: str) -> None:
        self.services.registry.delete_policy(self.who, project)

    def list_requests(self, model: str | None = None, open_only: bool = False,
                      max_results: int = 100,
                      page_token: str | None = None) -> Page[TransitionRequest]:
        return self.services.registry.list_requests(self.who, model=model, open_only=open_only,
                                                    max_results=max_results,
                                                    page_token=page_token)

    def get_request(self, request_id: int) -> TransitionRequest:
        return self.services.registry.get_request(self.who, request_id)

    def approve_request(self, request_id: int, comment: str = "") -> TransitionRequest:
        return self.services.registry.approve_request(self.who, request_id, comment)

    def reject_request(self, request_id: int, comment: str = "") -> TransitionRequest:
        return self.services.registry.reject_request(self.who, request_id, comment)

    def cancel_request(self, request_id: int) -> TransitionRequest:
        return self.services.registry.cancel_request(self.who, request_id)

    def alias_history(self, name: str, alias: str, max_results: int = 100,
                      page_token: str | None = None) -> Page[AliasMove]:
        return self.services.registry.alias_history(self.who, name, alias,
                                                    max_results=max_results,
                                                    page_token=page_token)

    def alias_at(self, name: str, alias: str, at: int) -> ModelVersion:
        return self.services.registry.alias_at(self.who, name, alias, at)

    def rollback_alias(self, name: str, alias: str) -> ModelVersion:
        return self.services.registry.rollback_alias(self.who, name, alias)

    def move_aliases(self, name: str, moves: dict[str, int | None]) -> list[ModelVersion]:
        return self.services.registry.set_aliases(self.who, name, dict(moves), via="batch")

    def swap_aliases(self, name: str, first: str, second: str) -> list[ModelVersion]:
        return self.services.registry.swap_aliases(self.who, name, first, second)
