"""The one client interface, with the upload and download protocols written once.

Subclasses implement the primitives (``_call`` style methods for each operation and
the three blob primitives); everything a user sees is the same on both transports.
"""

from __future__ import annotations

import hashlib
import os
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from modelyard.artifacts.manifest import scan, sha256_file
from modelyard.artifacts.paths import safe_join
from modelyard.domain.entities import Event, FileEntry, ModelVersion, Page, RegisteredModel
from modelyard.domain.refs import VersionRef, parse_ref
from modelyard.errors import AlreadyExists, DigestMismatch, NotFound
from modelyard.client.tracking_base import TrackingClientMixin

Progress = Callable[[int], None]


class BaseClient(TrackingClientMixin):
    """Operations on a registry.  Build one with :func:`modelyard.Client`."""

    uri: str

    # -- primitives every transport implements ----------------------------------------
    def missing_blobs(self, digests: list[str]) -> list[str]:
        raise NotImplementedError

    def upload_blob(self, entry: FileEntry, source: Path, progress: Progress | None = None) -> None:
        raise NotImplementedError

    def iter_blob(self, digest: str) -> Iterator[bytes]:
        raise NotImplementedError

    def iter_file(self, ref: str | VersionRef, path: str) -> Iterator[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections; the client is unusable afterwards."""

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models (implemented by subclasses) -------------------------------------------
    def create_model(self, name: str, description: str = "", tags: dict[str, str] | None = None,
                     project: str = "default") -> RegisteredModel:
        raise NotImplementedError

    def get_model(self, name: str) -> RegisteredModel:
        raise NotImplementedError

    def search_models(self, filter: str | None = None, order_by: list[str] | None = None,
                      max_results: int = 100, page_token: str | None = None,
                      deleted: bool = False) -> Page[RegisteredModel]:
        raise NotImplementedError

    def create_version(self, name: str, files: list[FileEntry], **fields: Any) -> ModelVersion:
        raise NotImplementedError

    def get_version(self, name: str, version: int | str, files: bool = True) -> ModelVersion:
        raise NotImplementedError

    def search_versions(self, filter: str | None = None, order_by: list[str] | None = None,
                        max_results: int = 100, page_token: str | None = None,
                        deleted: bool = False) -> Page[ModelVersion]:
        raise NotImplementedError

    def list_events(self, **query: Any) -> Page[Event]:
        raise NotImplementedError

    # -- shared behaviour -------------------------------------------------------------
    def resolve(self, ref: str | VersionRef, files: bool = True) -> ModelVersion:
        """``fraud/3``, ``fraud@production``, ``fraud/latest``, ``fraud/Staging``."""
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        spec: int | str
        if ref.alias is not None:
            spec = "@" + ref.alias
        elif ref.version is not None:
            spec = ref.version
        else:
            spec = ref.selector or "latest"
        return self.get_version(ref.model, spec, files=files)

    def iter_models(self, filter: str | None = None, order_by: list[str] | None = None,
                    page_size: int = 1000) -> Iterator[RegisteredModel]:
        token = None
        while True:
            page = self.search_models(filter, order_by, page_size, token)
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    def upload_files(self, files: list[tuple[FileEntry, Path]],
                     progress: Progress | None = None, workers: int = 4) -> int:
        """Upload what the registry is missing; returns the bytes sent."""
        by_digest = {entry.sha256: (entry, path) for entry, path in files}
        missing = self.missing_blobs(list(by_digest))
        todo = [by_digest[d] for d in missing]
        if progress:
            already = sum(e.size for e, _ in files) - sum(by_digest[d][0].size for d in missing)
            progress(already)
        if len(todo) <= 1 or workers <= 1:
            for entry, path in todo:
                self.upload_blob(entry, path, progress)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for f in [pool.submit(self.upload_blob, e, p, progress) for e, p in todo]:
                    f.result()
        return sum(e.size for e, _ in todo)

    def register(self, name: str, path: str | os.PathLike[str], *, description: str = "",
                 tags: dict[str, str] | None = None, source: str = "",
                 run_id: str | None = None, flavor: str = "",
                 signature: dict[str, Any] | None = None,
                 metrics: dict[str, float] | None = None, parents: list[Any] | None = None,
                 create_model: bool = True, progress: Progress | None = None) -> ModelVersion:
        """Register a file or folder as the next version of ``name``.

        Hashes locally, uploads only the blobs the registry lacks, then commits the
        manifest; the version appears whole or not at all."""
        files = scan(path)
        self.upload_files(files, progress)
        if create_model:
            try:
                self.create_model(name)
            except AlreadyExists:
                pass
        return self.create_version(
            name, [entry for entry, _ in files], description=description, tags=tags or {},
            source=source or f"file:{Path(path).name}", run_id=run_id, flavor=flavor,
            signature=signature, metrics=metrics or {}, parents=parents or [])

    def download(self, ref: str | VersionRef, dest: str | os.PathLike[str],
                 progress: Progress | None = None) -> Path:
        """Download every file of a version under ``dest``; each file is verified
        against its sha256 and appears only when complete."""
        version = self.resolve(ref, files=True)
        root = Path(dest)
        root.mkdir(parents=True, exist_ok=True)
        for entry in version.files or []:
            target = safe_join(root, entry.path)
            if target.is_file() and target.stat().st_size == entry.size and \
                    sha256_file(target)[0] == entry.sha256:
                if progress:
                    progress(entry.size)
                continue
            self._fetch(entry, target, progress)
        return root

    def read_file(self, ref: str | VersionRef, path: str) -> bytes:
        return b"".join(self.iter_file(ref, path))

    def _fetch(self, entry: FileEntry, target: Path, progress: Progress | None) -> None:
        """Download one blob to ``target``: a thread receives while this one hashes and
        writes (both release the GIL), then the file is renamed into place if its
        sha256 matches."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as fh:
                for chunk in _prefetch(self.iter_blob(entry.sha256)):
                    h.update(chunk)
                    fh.write(chunk)
                    if progress:
                        progress(len(chunk))
            if h.hexdigest() != entry.sha256:
                raise DigestMismatch(f"downloaded {entry.path!r} does not match its sha256")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def version_exists(self, name: str, version: int | str) -> bool:
        try:
            self.get_version(name, version, files=False)
        except NotFound:
            return False
        return True


_DONE = object()


def _prefetch(chunks: Iterator[bytes], depth: int = 8) -> Iterator[bytes]:
    """Iterate ``chunks`` in a background thread, up to ``depth`` chunks ahead."""
    q: queue.Queue[Any] = queue.Queue(depth)
    stop = threading.Event()

    def pump() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                q.put(chunk)
            q.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
