"""Moving bytes: the upload protocol (ask which digests are missing, send only those,
in parallel) and verified downloads (hashed while received, renamed into place only
when the sha256 matches), written once over the blob operations of ``contract.py``."""

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

from modelyard.client.contract import ClientOperations, Progress
from modelyard.client.verify import mismatch
from modelyard.domain.entities import FileEntry


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
