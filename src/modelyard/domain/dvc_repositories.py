"""``tx.dvc``: what the DVC remote needs from the metadata store."""

from __future__ import annotations

from typing import Protocol

from modelyard.domain.dvc_records import DvcObject


class DvcRepository(Protocol):
    def get(self, project_id: int, oid: str) -> DvcObject | None: ...

    def put(self, obj: DvcObject) -> bool:
        """Add ``obj`` to its project's index; False when the project already had it."""
        ...

    def by_md5(self, oid: str) -> DvcObject | None:
        """Any project's object with this id (the md5 -> sha256 index), for dedup."""
        ...

    def referenced_digests(self) -> set[str]: ...
