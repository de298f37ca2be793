"""Moving bytes: the upload protocol (ask which digests are missing, send only those,
in parallel) and verified downloads (hashed while received, renamed into place only
when the sha256 matches), written once over the blob operations of ``contract.py``.

Downloads of many files run :meth:`Transfers._fetch_entry` for each file on a bounded
thread pool (:data:`DOWNLOAD_WORKERS`), so a version of thousands of small files is
not a round trip after a round trip; every file still goes through the one verifying
:meth:`Transfers._fetch`."""

from __future__ import annotations

import hashlib
import os
import queue
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from modelyard.artifacts.paths import safe_join
from modelyard.client.contract import ClientOperations, Progress
from modelyard.client.hashing import sha256_file
from modelyard.client.verify import mismatch
from modelyard.domain.entities import FileEntry

#: Files downloaded at once (each is one request; small files are latency-bound).
DOWNLOAD_WORKERS = 8
#: Below this size a blob is received in the calling thread (no read-ahead thread).
PREFETCH_ABOVE = 1 << 20


class Transfers(ClientOperations):
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

    def fetch_files(self, entries: list[FileEntry], dest: str | os.PathLike[str],
                    progress: Progress | None = None,
                    workers: int = DOWNLOAD_WORKERS) -> Path:
        """Download ``entries`` under ``dest``, up to ``workers`` files at once.  A file
        already there with the right size and sha256 is kept; the others are verified
        against their sha256 and appear only when complete."""
        root = Path(dest)
        root.mkdir(parents=True, exist_ok=True)
        todo = [(entry, safe_join(root, entry.path)) for entry in entries]
        if len(todo) <= 1 or workers <= 1:
            for entry, target in todo:
                self._fetch_entry(entry, target, progress)
            return root
        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix="modelyard-download") as pool:
            futures = [pool.submit(self._fetch_entry, e, t, progress) for e, t in todo]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return root

    def _fetch_entry(self, entry: FileEntry, target: Path, progress: Progress | None) -> None:
        if target.is_file() and target.stat().st_size == entry.size and \
                sha256_file(target)[0] == entry.sha256:
            if progress:
                progress(entry.size)
            return
        self._fetch(entry, target, progress)

    def _fetch(self, entry: FileEntry, target: Path, progress: Progress | None) -> None:
        """Download one blob to ``target``: a thread receives while this one hashes and
        writes (both release the GIL), then the file is renamed into place if its
        sha256 matches."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        h = hashlib.sha256()
        try:
            chunks = self.iter_blob(entry.sha256)
            with open(tmp, "wb") as fh:
                for chunk in _prefetch(chunks) if entry.size > PREFETCH_ABOVE else chunks:
                    h.update(chunk)
                    fh.write(chunk)
                    if progress:
                        progress(len(chunk))
            if h.hexdigest() != entry.sha256:
                raise mismatch(f"file {entry.path!r}", entry.sha256, h.hexdigest())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


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
