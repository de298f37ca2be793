"""SQL for datasets, their versions and manifests."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select, update

from modelyard.domain.entities import Dataset, DatasetVersion, FileEntry
from modelyard.domain.records import DatasetRecord, DatasetVersionRecord
from modelyard.store.rows import inserted_id, upsert
from modelyard.store.mapping import dataset_record, dataset_version_record
from modelyard.store.schema_tracking import dataset_files, dataset_versions, datasets

D, DV = datasets, dataset_versions


class DatasetRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def dataset(self, name: str) -> DatasetRecord | None:
        row = self.conn.execute(select(D).where(D.c.name == name)).mappings().first()
        return None if row is None else dataset_record(row)

    def _version(self, q: Any) -> DatasetVersionRecord | None:
        row = self.conn.execute(q).mappings().first()
        return None if row is None else dataset_version_record(row)

    def dataset_locked(self, name: str, now: int, actor: str) -> int:
        """The id of dataset ``name``, created if missing, with its row lock held until
        the transaction ends: concurrent registrations of one dataset queue here, and
        what they read next (the latest commit, at READ COMMITTED) cannot race.  Safe
        when several writers create the same new dataset at once."""
        found = self.dataset(name)
        if found is None:
            self.conn.execute(upsert(self.conn, D, ["name"], {
                "name": name, "description": "", "next_version": 1, "created_at": now,
                "created_by": actor}))
            key = D.c.name == name
        else:
            key = D.c.id == found.id
        return int(self.conn.execute(select(D.c.id).where(key).with_for_update()).scalar_one())

    def next_version(self, dataset_id: int) -> int:
        """Takes the dataset's row lock, so concurrent registrations get consecutive numbers."""
        self.conn.execute(update(D).where(D.c.id == dataset_id)
                          .values(next_version=D.c.next_version + 1))
        return int(self.conn.execute(select(D.c.next_version - 1)
                                     .where(D.c.id == dataset_id)).scalar_one())

    def version_by_digest(self, dataset_id: int, digest: str) -> DatasetVersionRecord | None:
        return self._version(_versions().where(DV.c.dataset_id == dataset_id,
                                               DV.c.digest == digest)
                             .order_by(DV.c.version).limit(1))

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
        vid = inserted_id(res)
        if files:
            self.conn.execute(insert(dataset_files), [
                {"version_id": vid, "ordinal": i, "path": f.path, "size": f.size,
                 "sha256": f.sha256} for i, f in enumerate(files)])
        return vid

    def version(self, dataset_id: int, number: int) -> DatasetVersionRecord | None:
        return self._version(_versions().where(DV.c.dataset_id == dataset_id,
                                               DV.c.version == number))

    def latest_version(self, dataset_id: int) -> DatasetVersionRecord | None:
        return self._version(_versions().where(DV.c.dataset_id == dataset_id)
                             .order_by(DV.c.version.desc()).limit(1))

    def version_by_id(self, version_id: int) -> DatasetVersionRecord | None:
        return self._version(_versions().where(DV.c.id == version_id))

    def files(self, version_id: int) -> list[FileEntry]:
        rows = self.conn.execute(select(dataset_files.c.path, dataset_files.c.size,
                                        dataset_files.c.sha256)
                                 .where(dataset_files.c.version_id == version_id)
                                 .order_by(dataset_files.c.ordinal))
        return [FileEntry(path=p, size=s, sha256=d) for p, s, d in rows]

    def version_entity(self, version: DatasetVersionRecord, *,
                       with_files: bool = False) -> DatasetVersion:
        v = version
        return DatasetVersion(
            name=v.name, version=v.version, digest=v.digest, source=v.source,
            source_type=v.source_type, description=v.description, profile=v.profile,
            tags=dict(v.tags), size=v.size, file_count=v.file_count,
            files=self.files(v.id) if with_files else None,
            created_at=v.created_at, created_by=v.created_by)

    def versions_of(self, dataset_id: int) -> list[DatasetVersion]:
        rows = self.conn.execute(_versions().where(DV.c.dataset_id == dataset_id)
                                 .order_by(DV.c.version.desc())).mappings().all()
        return [self.version_entity(dataset_version_record(r)) for r in rows]

    def dataset_entity(self, dataset: DatasetRecord) -> Dataset:
        latest = self.conn.execute(select(func.max(DV.c.version))
                                   .where(DV.c.dataset_id == dataset.id)).scalar()
        return Dataset(name=dataset.name, description=dataset.description,
                       latest_version=None if latest is None else int(latest),
                       created_at=dataset.created_at, created_by=dataset.created_by)

    def list_datasets(self, name_like: str | None, offset: int, limit: int) -> list[Dataset]:
        q = select(D)
        if name_like:
            q = q.where(D.c.name.like(name_like))
        rows = self.conn.execute(q.order_by(D.c.name).offset(offset).limit(limit)).mappings().all()
        return [self.dataset_entity(dataset_record(r)) for r in rows]


def _versions() -> Select[Any]:
    """Dataset version rows with their dataset's name (``dataset_name``)."""
    return select(DV, D.c.name.label("dataset_name")).join(D, D.c.id == DV.c.dataset_id)
