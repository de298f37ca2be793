"""Rows of ``upload_sessions`` (see ``domain/uploads.py``); each call is one short
transaction of its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select

from modelyard.domain.uploads import UploadSession
from modelyard.store.schema_uploads import upload_sessions as U
from modelyard.store.sql_store import SqlStore

_COLUMNS = (U.c.id, U.c.digest, U.c.size, U.c.part_size, U.c.parts, U.c.handle, U.c.secret,
            U.c.created_by, U.c.created_at, U.c.expires_at)


def _session(row: Any) -> UploadSession:
    return UploadSession(id=row[0], digest=row[1], size=row[2], part_size=row[3], parts=row[4],
                         handle=row[5], secret=row[6], created_by=row[7], created_at=row[8],
                         expires_at=row[9])


class SqlUploadStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def insert(self, session: UploadSession) -> None:
        with self.store.write() as tx:
            tx.conn.execute(insert(U).values(
                id=session.id, digest=session.digest, size=session.size,
                part_size=session.part_size, parts=session.parts, handle=session.handle,
                secret=session.secret, created_by=session.created_by,
                created_at=session.created_at, expires_at=session.expires_at))

    def insert_many(self, sessions: list[UploadSession]) -> None:
        if not sessions:
            return
        with self.store.write() as tx:
            tx.conn.execute(insert(U), [dict(
                id=s.id, digest=s.digest, size=s.size, part_size=s.part_size, parts=s.parts,
                handle=s.handle, secret=s.secret, created_by=s.created_by,
                created_at=s.created_at, expires_at=s.expires_at) for s in sessions])

    def get(self, upload_id: str) -> UploadSession | None:
        with self.store.read() as tx:
            row = tx.conn.execute(select(*_COLUMNS).where(U.c.id == upload_id)).first()
        return None if row is None else _session(row)

    def delete(self, upload_id: str) -> bool:
        with self.store.write() as tx:
            return bool(tx.conn.execute(delete(U).where(U.c.id == upload_id)).rowcount)

    def get_many(self, upload_ids: list[str]) -> list[UploadSession]:
        out: list[UploadSession] = []
        with self.store.read() as tx:
            for i in range(0, len(upload_ids), 500):
                rows = tx.conn.execute(select(*_COLUMNS).where(
                    U.c.id.in_(upload_ids[i:i + 500]))).all()
                out += [_session(r) for r in rows]
        return out

    def delete_many(self, upload_ids: list[str]) -> None:
        if not upload_ids:
            return
        with self.store.write() as tx:
            for i in range(0, len(upload_ids), 500):
                tx.conn.execute(delete(U).where(U.c.id.in_(upload_ids[i:i + 500])))

    def expired(self, now_ms: int, limit: int) -> list[UploadSession]:
        with self.store.read() as tx:
            rows = tx.conn.execute(select(*_COLUMNS).where(U.c.expires_at <= now_ms)
                                   .order_by(U.c.expires_at).limit(limit)).all()
        return [_session(row) for row in rows]

    def find_live(self, created_by: str, digest: str, size: int, part_size: int,
                  now_ms: int) -> UploadSession | None:
        with self.store.read() as tx:
            row = tx.conn.execute(
                select(*_COLUMNS).where(U.c.created_by == created_by, U.c.digest == digest,
                                        U.c.size == size, U.c.part_size == part_size,
                                        U.c.expires_at > now_ms)
                .order_by(U.c.created_at.desc()).limit(1)).first()
        return None if row is None else _session(row)
