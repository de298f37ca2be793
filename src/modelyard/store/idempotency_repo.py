"""Rows of ``idempotency_keys`` (see ``domain/idempotency.py``); each call is one
short transaction of its own, apart from the request's work."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.domain.idempotency import KeyRecord, StoredAnswer
from modelyard.errors import ModelyardError
from modelyard.store.schema_idempotency import idempotency_keys as K
from modelyard.store.sql_store import SqlStore


class SqlIdempotencyStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def insert(self, scope: str, fingerprint: str, now_ms: int) -> bool:
        try:
            with self.store.write() as tx:
                tx.conn.execute(insert(K).values(scope=scope, fingerprint=fingerprint,
                                                 created_at=now_ms))
        except ModelyardError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                return False
            raise
        return True

    def get(self, scope: str) -> KeyRecord | None:
        with self.store.read() as tx:
            row = tx.conn.execute(select(K.c.fingerprint, K.c.created_at, K.c.status,
                                         K.c.content_type, K.c.body)
                                  .where(K.c.scope == scope)).first()
        return None if row is None else KeyRecord(*row)

    def complete(self, scope: str, answer: StoredAnswer) -> None:
        with self.store.write() as tx:
            tx.conn.execute(update(K).where(K.c.scope == scope).values(
                status=answer.status, content_type=answer.content_type, body=answer.body))

    def delete(self, scope: str, created_at: int | None = None) -> None:
        stmt = delete(K).where(K.c.scope == scope)
        if created_at is not None:
            stmt = stmt.where(K.c.created_at == created_at)
        with self.store.write() as tx:
            tx.conn.execute(stmt)

    def purge(self, before_ms: int) -> int:
        with self.store.write() as tx:
            return tx.conn.execute(delete(K).where(K.c.created_at < before_ms)).rowcount
