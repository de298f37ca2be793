"""``tx.identity``: external identities and browser sessions (single sign-on)."""

from __future__ import annotations

from typing import Protocol

from modelyard.domain.access_records import SessionRecord


class IdentityRepository(Protocol):
    def identity_user(self, issuer: str, subject: str) -> int | None:
        """The id of the user linked to ``(issuer, subject)``."""
        ...

    def link_identity(self, issuer: str, subject: str, user_id: int, now: int) -> None: ...

    def insert_session(self, session: SessionRecord) -> None: ...

    def session(self, id_hash: str) -> SessionRecord | None: ...

    def delete_session(self, id_hash: str) -> None: ...

    def delete_expired_sessions(self, now: int) -> int: ...
