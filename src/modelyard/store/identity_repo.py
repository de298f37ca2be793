"""SQL for external identities and browser sessions (``tx.identity``)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from modelyard.domain.access_records import SessionRecord
from modelyard.store.schema_identity import sessions, user_identities


class IdentityRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def identity_user(self, issuer: str, subject: str) -> int | None:
        found = self.conn.execute(select(user_identities.c.user_id).where(
            user_identities.c.issuer == issuer,
            user_identities.c.subject == subject)).scalar()
        return None if found is None else int(found)

    def link_identity(self, issuer: str, subject: str, user_id: int, now: int) -> None:
        self.conn.execute(insert(user_identities).values(
            issuer=issuer, subject=subject, user_id=user_id, created_at=now))

    def insert_session(self, session: SessionRecord) -> None:
        self.conn.execute(insert(sessions).values(
            id_hash=session.id_hash, user_id=session.user_id, via=session.via,
            created_at=session.created_at, expires_at=session.expires_at))

    def session(self, id_hash: str) -> SessionRecord | None:
        r = self.conn.execute(select(sessions).where(sessions.c.id_hash == id_hash)
                              ).mappings().first()
        if r is None:
            return None
        return SessionRecord(id_hash=r["id_hash"], user_id=int(r["user_id"]), via=r["via"],
                             created_at=int(r["created_at"]), expires_at=int(r["expires_at"]))

    def delete_session(self, id_hash: str) -> None:
        self.conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))

    def delete_expired_sessions(self, now: int) -> int:
        result = self.conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
        return int(result.rowcount or 0)
