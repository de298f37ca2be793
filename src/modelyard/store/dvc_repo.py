"""SQL of the DVC remote's object index (``tx.dvc``)."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, insert, select
from sqlalchemy.exc import IntegrityError

from modelyard.domain.dvc_records import DvcObject
from modelyard.store.schema_dvc import dvc_objects as T


def _obj(r: RowMapping) -> DvcObject:
    return DvcObject(project_id=int(r["project_id"]), oid=r["oid"], sha256=r["sha256"],
                     size=int(r["size"]), is_dir=bool(r["is_dir"]),
                     created_at=int(r["created_at"]), created_by=r["created_by"])


class DvcRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, project_id: int, oid: str) -> DvcObject | None:
        r = self.conn.execute(select(T).where(T.c.project_id == project_id,
                                              T.c.oid == oid)).mappings().first()
        return None if r is None else _obj(r)

    def put(self, obj: DvcObject) -> bool:
        if self.get(obj.project_id, obj.oid) is not None:
            return False
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(T).values(
                    project_id=obj.project_id, oid=obj.oid, sha256=obj.sha256, size=obj.size,
                    is_dir=obj.is_dir, created_at=obj.created_at, created_by=obj.created_by))
        except IntegrityError:  # a concurrent push of the same object won
            return False
        return True

    def by_md5(self, oid: str) -> DvcObject | None:
        r = self.conn.execute(select(T).where(T.c.oid == oid).limit(1)).mappings().first()
        return None if r is None else _obj(r)

    def referenced_digests(self) -> set[str]:
        return set(self.conn.execute(select(T.c.sha256).distinct()).scalars())
