"""The repository Protocol of governance (``tx.governance``): project policies,
transition requests and their decisions, alias history.  Implemented in
``store/governance_repo.py``."""

from __future__ import annotations

from typing import Any, Protocol

from modelyard.domain.governance_records import AliasMove, NewRequest, TransitionRequest


class GovernanceRepository(Protocol):
    def policy(self, project_id: int) -> tuple[str, dict[str, Any], int, str] | None:
        """(source, data, updated_at, updated_by) of the project's policy, if any."""
        ...

    def set_policy(self, project_id: int, source: str, data: dict[str, Any], now: int,
                   actor: str) -> None: ...

    def delete_policy(self, project_id: int) -> bool: ...

    def insert_request(self, request: NewRequest) -> int: ...

    def request(self, request_id: int, *, lock: bool = False) -> TransitionRequest | None:
        """With ``lock`` the row is locked (``SELECT ... FOR UPDATE``) until the
        transaction ends, and read as last committed."""
        ...

    def request_archive(self, request_id: int) -> bool:
        """Whether the request asked to archive the stage's other versions."""
        ...

    def request_model_id(self, request_id: int) -> int | None: ...

    def open_request_for(self, version_id: int, to_stage: str) -> int | None: ...

    def list_requests(self, *, model_id: int | None = None, status: str | None = None,
                      offset: int = 0, limit: int = 100) -> list[TransitionRequest]: ...

    def add_decision(self, request_id: int, user: str, decision: str, comment: str,
                     now: int) -> None:
        """Raises AlreadyExists when ``user`` decided on the request already."""
        ...

    def close_request(self, request_id: int, status: str, now: int, actor: str,
                      reason: str) -> None: ...

    def count_in_stage(self, model_id: int, stage: str, *, lock: bool = False) -> int:
        """Live versions of the model in ``stage`` (locking them with ``lock``)."""
        ...

    def move_alias(self, model_id: int, alias: str, version: int | None, now: int,
                   actor: str, via: str, request_id: int | None) -> int:
        """Close the alias's open history row and (unless ``version`` is None) open a
        new one; returns the time used (never before the closed row's start, so the
        history has no gap nor overlap)."""
        ...

    def alias_history(self, model_id: int, alias: str, *, offset: int = 0,
                      limit: int = 100) -> list[AliasMove]:
        """Newest first."""
        ...

    def alias_at(self, model_id: int, alias: str, at: int) -> AliasMove | None:
        """The move holding the alias at ``at`` (one indexed query)."""
        ...
