"""The governance operations over REST."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from modelyard.client.decode import decode
from modelyard.client.governance_contract import GovernanceOperations
from modelyard.domain.entities import ModelVersion, Page
from modelyard.domain.governance_records import AliasMove, PolicyDocument, TransitionRequest


def _q(segment: str) -> str:
    return quote(str(segment), safe="")


class HttpGovernanceMixin(GovernanceOperations):
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError  # the transport's

    def _get(self, path: str, **params: Any) -> Any:
        raise NotImplementedError  # the transport's

    def get_policy(self, project: str) -> PolicyDocument:
        return PolicyDocument.from_dict(self._get(f"/projects/{_q(project)}/policy")["policy"])

    def set_policy(self, project: str, source: str) -> PolicyDocument:
        data = self._request("PUT", f"/projects/{_q(project)}/policy", json={"source": source})
        return PolicyDocument.from_dict(data["policy"])

    def delete_policy(self, project: str) -> None:
        self._request("DELETE", f"/projects/{_q(project)}/policy")

    def list_requests(self, model: str | None = None, open_only: bool = False,
                      max_results: int = 100,
                      page_token: str | None = None) -> Page[TransitionRequest]:
        data = self._get("/requests", model=model, open=open_only, max_results=max_results,
                         page_token=page_token)
        return Page([TransitionRequest.from_dict(r) for r in data["requests"]],
                    data.get("next_page_token"))

    def get_request(self, request_id: int) -> TransitionRequest:
        return TransitionRequest.from_dict(self._get(f"/requests/{int(request_id)}")["request"])

    def _decide(self, request_id: int, what: str, body: dict[str, Any]) -> TransitionRequest:
        data = self._request("POST", f"/requests/{int(request_id)}:{what}", json=body)
        return TransitionRequest.from_dict(data["request"])

    def approve_request(self, request_id: int, comment: str = "") -> TransitionRequest:
        return self._decide(request_id, "approve", {"comment": comment})

    def reject_request(self, request_id: int, comment: str = "") -> TransitionRequest:
        return self._decide(request_id, "reject", {"comment": comment})

    def cancel_request(self, request_id: int) -> TransitionRequest:
        return self._decide(request_id, "cancel", {})

    def alias_history(self, name: str, alias: str, max_results: int = 100,
                      page_token: str | None = None) -> Page[AliasMove]:
        data = self._get(f"/models/{_q(name)}/aliases/{_q(alias)}/history",
                         max_results=max_results, page_token=page_token)
        return Page([AliasMove.from_dict(m) for m in data["moves"]], data.get("next_page_token"))

    def alias_at(self, name: str, alias: str, at: int) -> ModelVersion:
        data = self._get(f"/models/{_q(name)}/aliases/{_q(alias)}", at=str(int(at)))
        return decode(ModelVersion, data["version"])

    def rollback_alias(self, name: str, alias: str) -> ModelVersion:
        data = self._request("POST", f"/models/{_q(name)}/aliases/{_q(alias)}/rollback",
                             json={})
        return decode(ModelVersion, data["version"])

    def move_aliases(self, name: str, moves: dict[str, int | None]) -> list[ModelVersion]:
        data = self._request("POST", f"/models/{_q(name)}/aliases:batch",
                             json={"moves": moves})
        return [decode(ModelVersion, v) for v in data["versions"]]

    def swap_aliases(self, name: str, first: str, second: str) -> list[ModelVersion]:
        data = self._request("POST", f"/models/{_q(name)}/aliases:batch",
                             json={"swap": [first, second]})
        return [decode(ModelVersion, v) for v in data["versions"]]
