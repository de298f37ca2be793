"""SQL for datasets, their versions and manifests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.domain.entities import Dataset, DatasetVersion, FileEntry
from modelyard.store.schema_tracking import dataset_files, dataset_versions, datasets

D, DV = datasets, dataset_versions


class DatasetRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def dataset_row(self, name: str) -> Any:
        return self.conn.execute(select(D).where(D.c.name == name)).mappings().first()

    def insert_dataset(self, name: str, now: int, actor: str) -> int:
        try:
            with self.conn.begin_nested():
                res = self.conn.execute(insert(D).values(
                    name=name, description="", next_version=1, created_at=now,
                    created_by=actor))
            return int(res.inserted_primary_key[0])
        except IntegrityError:  # created concurrently: use that one
            return int(self.dataset_row(name)["id"])

    def next_version(self, dataset_id: int) -> int:
        """Takes the dataset's row lock, so concurrent registrations get consecutive numbers."""
        self.conn.execute(update(D).where(D.c.id == dataset_id)
                          .values(next_version=D.c.next_version + 1))
        return int(self.conn.execute(select(D.c.next_version - 1)
                                     .where(D.c.id == dataset_id)).scalar_one())

    def version_by_digest(self, dataset_id: int, digest: str) -> Any:
        return self.conn.execute(select(DV).where(DV.c.dataset_id == dataset_id,
                                                  DV.c.digest == digest)
                                 .order_by(DV.c.version).limit(1)).mappings().first()

    def insert_version(self, dataset_id: int, number: int, *, digest: str, source: str,
                       source_type: str, description: str, profile: dict[str, Any] | None,
                       tags: dict[str, str], files: list[FileEntry], now: int,
                       actor: str) -> int:
        res = self.conn.execute(insert(DV).values(
            dataset_id=dataset_id, version=number, digest=digest, source=source,
            source_type=source_type, description=description,
            profile=json.dumps(profile, default=str) if profile is not None else None,
            tags=json.dumps(tags) if tags else None, size=sum(f.size for f in files),
            file_count=len(files), created_at=now, created_by=actor))
        vid = int(res.inserted_primary_key[0])
        if files:
            self.conn.execute(insert(dataset_files), [
                {"version_id": vid, "ordinal": i, "path": f.path, "size": f.size,
                 "sha256": f.sha256} for i, f in enumerate(files)])
        return vid

    def version_row(self, dataset_id: int, number: int) -> Any:
        return self.conn.execute(select(DV).where(DV.c.dataset_id == dataset_id,
                                                  DV.c.version == number)).mappings().first()

    def latest_version_row(self, dataset_id: int) -> Any:
        return self.conn.execute(select(DV).where(DV.c.dataset_id == dataset_id)
                                 .order_by(DV.c.version.desc()).limit(1)).mappings().first()

    def version_by_id(self, version_id: int) -> Any:
        return self.conn.execute(select(DV).where(DV.c.id == version_id)).mappings().first()

    def files(self, version_id: int) -> list[FileEntry]:
        rows = self.conn.execute(select(dataset_files.c.path, dataset_files.c.size,
                                        dataset_files.c.sha256)
                                 .where(dataset_files.c.version_id == version_id)
                                 .order_by(dataset_files.c.ordinal))
        return [FileEntry(path=p, size=s, sha256=d) for p, s, d in rows]

    def version_entity(self, row: Any, *, with_files: bool = False) -> DatasetVersion:
        name = self.conn.execute(select(D.c.name).where(D.c.id == row["dataset_id"])).scalar()
        return DatasetVersion(
            name=name, version=row["version"], digest=row["digest"], source=row["source"],
            source_type=row["source_type"], description=row["description"],
            profile=json.loads(row["profile"]) if row["profile"] else None,
            tags=json.loads(row["tags"]) if row["tags"] else {}, size=row["size"],
            file_count=row["file_count"],
            files=self.files(row["id"]) if with_files else None,
            created_at=row["created_at"], created_by=row["created_by"])

    def versions_of(self, dataset_id: int) -> list[DatasetVersion]:
        rows = self.conn.execute(select(DV).where(DV.c.dataset_id == dataset_id)
                                 .order_by(DV.c.version.desc())).mappings().all()
        return [self.version_entity(r) for r in rows]

    def dataset_entity(self, row: Any) -> Dataset:
        latest = self.conn.execute(select(func.max(DV.c.version))
                                   .where(DV.c.dataset_id == row["id"])).scalar()
        return Dataset(name=row["name"], description=row["description"], latest_version=latest,
                       created_at=row["created_at"], created_by=row["created_by"])

    def list_datasets(self, name_like: str | None, offset: int, limit: int) -> list[Dataset]:
        q = select(D)
        if name_like:
            q = q.where(D.c.name.like(name_like))
        rows = self.conn.execute(q.order_by(D.c.name).offset(offset).limit(limit)).mappings().all()
        return [self.dataset_entity(r) for r in rows]
