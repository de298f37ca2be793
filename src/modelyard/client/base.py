"""The SDK's client: the operations of ``contract.py`` plus the behaviour written once
over them (the upload and download protocols, registering a folder, resolving
references).  :class:`BaseClient` is the type callers hold; ``LocalClient`` and
``HttpClient`` implement its abstract operations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from modelyard.client.contract import Progress
from modelyard.client.hashing import scan
from modelyard.client.tracking_base import TrackingClientMixin
from modelyard.domain.entities import ModelVersion, RegisteredModel
from modelyard.domain.governance_records import time_ms
from modelyard.domain.refs import VersionRef, parse_ref
from modelyard.errors import AlreadyExists, InvalidParameter, NotFound

__all__ = ["BaseClient", "Progress"]


class BaseClient(TrackingClientMixin):
    """Operations on a registry.  Build one with :func:`modelyard.Client`."""

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared behaviour -------------------------------------------------------------
    def resolve(self, ref: str | VersionRef, files: bool = True,
                at: datetime | str | int | None = None) -> ModelVersion:
        """``fraud/3``, ``fraud@production``, ``fraud/latest``, ``fraud/Staging``.  With
        ``at`` (an aware datetime, ISO 8601 text or ms), an alias answers what it pointed
        at then (without files)."""
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        if at is not None:
            if ref.alias is None:
                raise InvalidParameter("'at' resolves an alias (name@alias) only")
            return self.alias_at(ref.model, ref.alias, time_ms(at))
        spec: int | str
        if ref.alias is not None:
            spec = "@" + ref.alias
        elif ref.version is not None:
            spec = ref.version
        else:
            spec = ref.selector or "latest"
        return self.get_version(ref.model, spec, files=files)

    def iter_models(self, filter: str | None = None, order_by: list[str] | None = None,
                    page_size: int = 1000, kind: str = "model") -> Iterator[RegisteredModel]:
        token = None
        while True:
            page = self.search_models(filter, order_by, page_size, token, kind=kind)
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    def register(self, name: str, path: str | os.PathLike[str], *, description: str = "",
                 tags: dict[str, str] | None = None, source: str = "",
                 run_id: str | None = None, flavor: str = "",
                 signature: dict[str, Any] | None = None,
                 metrics: dict[str, float] | None = None, parents: list[Any] | None = None,
                 create_model: bool = True, progress: Progress | None = None,
                 allow_empty: bool = False,
                 hash_progress: Progress | None = None,
                 on_model_created: Callable[[str], None] | None = None) -> ModelVersion:
        """Register a file or folder as the next version of ``name``.

        Hashes locally, uploads only the blobs the registry lacks, then commits the
        manifest; the version appears whole or not at all.  ``hash_progress`` counts
        the bytes hashed, ``progress`` the bytes uploaded (or found already stored).
        A folder without files is refused (it is almost always a wrong path) unless
        ``allow_empty``.  ``on_model_created`` is called with ``name`` when this call
        created the model."""
        files = scan(path, hash_progress)
        if not files and not allow_empty:
            raise InvalidParameter(
                f"{os.fspath(path)} holds no files; nothing to register (pass "
                "allow_empty=True, on the command line --allow-empty, to register an "
                "empty version)")
        self.upload_files(files, progress)
        if create_model:
            try:
                self.create_model(name)
            except AlreadyExists:
                pass
            else:  # a new model: a caller may say so (a typo in the name makes one)
                if on_model_created is not None:
                    on_model_created(name)
        return self.create_version(
            name, [entry for entry, _ in files], description=description, tags=tags or {},
            source=source or f"file:{Path(path).name}", run_id=run_id, flavor=flavor,
            signature=signature, metrics=metrics or {}, parents=parents or [])

    def download(self, ref: str | VersionRef, dest: str | os.PathLike[str],
                 progress: Progress | None = None) -> Path:
        """Download every file of a version under ``dest`` (several at once); each
        file is verified against its sha256 and appears only when complete."""
        version = self.resolve(ref, files=True)
        return self.fetch_files(version.files or [], dest, progress)

    def read_file(self, ref: str | VersionRef, path: str) -> bytes:
        return b"".join(self.iter_file(ref, path))

    def version_exists(self, name: str, version: int | str) -> bool:
        try:
            self.get_version(name, version, files=False)
        except NotFound:
            return False
        return True
