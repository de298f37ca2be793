"""``tx.access``: what the access services need from the metadata store."""

from __future__ import annotations

from typing import Protocol

from modelyard.domain.access_records import GrantRecord, TokenRecord, UserRecord


class AccessRepository(Protocol):
    def count_users(self) -> int: ...

    def insert_user(self, name: str, kind: str, is_admin: bool, password_hash: str | None,
                    now: int, by: str) -> int: ...

    def user(self, name: str) -> UserRecord | None: ...

    def user_by_id(self, user_id: int) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def update_user(self, user_id: int, now: int, *, disabled: bool | None = None,
                    is_admin: bool | None = None, password_hash: str | None = None) -> None:
        """Change what is given and move ``changed_at`` to ``now``."""
        ...

    def delete_user(self, user_id: int) -> None:
        """The user with its tokens, groups and grants."""
        ...

    def set_groups(self, user_id: int, groups: list[str]) -> None: ...

    def insert_token(self, token: TokenRecord) -> None: ...

    def token(self, token_id: str) -> TokenRecord | None: ...

    def list_tokens(self, user_id: int | None) -> list[TokenRecord]: ...

    def revoke_token(self, token_id: str, now: int) -> None: ...

    def touch_token(self, token_id: str, now: int) -> None: ...

    def put_grant(self, grant: GrantRecord) -> None:
        """Insert, or change the role of the subject's existing binding on the scope."""
        ...

    def delete_grant(self, subject_kind: str, subject: str, scope_kind: str,
                     scope_id: int) -> bool: ...

    def grants(self, *, subjects: list[tuple[str, str]] | None = None,
               scope_kind: str | None = None, scope_id: int | None = None) -> list[GrantRecord]:
        """Bindings, optionally only those of ``subjects`` ((kind, name) pairs) and of
        one scope, with the scope's name."""
        ...

    def blob_experiments(self, digest: str) -> set[int]:
        """The experiments whose runs or logged models list a blob."""
        ...

    def record_failures(self, keys: list[str], at: int) -> None: ...

    def recent_failures(self, keys: list[str], since: int) -> dict[str, tuple[int, int]]:
        """``key -> (failures after since, the oldest of them)`` for the keys with any."""
        ...

    def prune_failures(self, before: int) -> None:
        """Forget failures at or before ``before`` (some of them: it is called often)."""
        ...

    def blob_owners(self, digest: str) -> tuple[list[tuple[int, int]], bool]:
        """``(model id, project id)`` of the models whose versions list ``digest``, and
        whether a run, dataset or logged model lists it."""
        ...
