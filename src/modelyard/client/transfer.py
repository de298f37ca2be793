"""Moving bytes: the upload protocol (ask which digests are missing, send only those,
in parallel) and verified downloads (hashed while received, renamed into place only
when the sha256 matches), written once over the blob operations of ``contract.py``.

Downloads of many files run on a bounded thread pool (:data:`DOWNLOAD_WORKERS`).  Over
a transport with batch reads (``batch_read``: REST) files up to
:data:`BATCH_FILE_MAX` travel many to one request (:meth:`Transfers._fetch_batch`),
bounded in count and bytes, so a version of thousands of small files is a handful of
requests; larger files are one request each (:meth:`Transfers._fetch_entry`).  Every
file, either way, is written by the one verifying :meth:`Transfers._write`: hashed
while written to a partial file, renamed into place only when its sha256 matches.

Over a transport that can locate blobs (REST against object storage), the larger
files are read straight from the storage's presigned URLs (``_locate_blobs``), and
from the server when the storage cannot be reached.  Files above
:attr:`Transfers.ranged_above` are parallel ranged reads (``client/ranged.py``),
resumable."""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from modelyard.artifacts.paths import safe_join
from modelyard.client.contract import ClientOperations, Progress
from modelyard.client.hashing import sha256_file
from modelyard.client.ranged import PART, fetch_ranged
from modelyard.client.verify import mismatch
from modelyard.domain.entities import FileEntry
from modelyard.errors import NotImplementedByServer, ServiceUnavailable

#: Files downloaded at once (each is one request; small files are latency-bound).
DOWNLOAD_WORKERS = 8
#: Below this size a blob is received in the calling thread (no read-ahead thread).
PREFETCH_ABOVE = 1 << 20
#: Files up to this size go in batch reads when the transport offers them.
BATCH_FILE_MAX = 1 << 20

Target = tuple[FileEntry, Path]


class Transfers(ClientOperations):
    #: (most blobs, most bytes) of one batch read (``iter_blobs``); None: one file a
    #: request (the in-process client, where a request costs nothing).
    batch_read: tuple[int, int] | None = None
    #: Files larger than this are fetched as parallel ranged reads (None: never).
    ranged_above: int | None = None
    #: Ranged reads in flight for one file, and the bytes of each.
    range_workers: int = 8
    range_part: int = PART

    def upload_files(self, files: list[tuple[FileEntry, Path]],
                     progress: Progress | None = None, workers: int = 4) -> int:
        """Upload what the registry is missing; returns the bytes sent."""
        by_digest = {entry.sha256: (entry, path) for entry, path in files}
        sent, done = self._send_unasked(list(by_digest.values()), progress, workers)
        rest = [d for d in by_digest if d not in done]
        missing = self.missing_blobs(rest) if rest else []
        todo = [by_digest[d] for d in missing]
        if progress:
            already = sum(e.size for e, _ in files if e.sha256 not in done) \
                - sum(by_digest[d][0].size for d in missing)
            progress(already)
        self._send_missing(todo, progress, workers)
        return sent + sum(e.size for e, _ in todo)

    def _send_unasked(self, files: list[tuple[FileEntry, Path]], progress: Progress | None,
                      workers: int) -> tuple[int, set[str]]:
        """Send the files for which asking whether they are missing costs more than
        sending them; returns the bytes stored and the digests handled (none here)."""
        return 0, set()

    def _send_missing(self, todo: list[tuple[FileEntry, Path]], progress: Progress | None,
                      workers: int) -> None:
        """Send the blobs the registry lacks: one ``upload_blob`` each, ``workers`` at
        once (the REST client sends large files in parts: ``client/uploads.py``)."""
        if len(todo) <= 1 or workers <= 1:
            for entry, path in todo:
                self.upload_blob(entry, path, progress)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for f in [pool.submit(self.upload_blob, e, p, progress) for e, p in todo]:
                    f.result()

    def fetch_files(self, entries: list[FileEntry], dest: str | os.PathLike[str],
                    progress: Progress | None = None,
                    workers: int = DOWNLOAD_WORKERS) -> Path:
        """Download ``entries`` under ``dest``, up to ``workers`` files at once.  A file
        already there with the right size and sha256 is kept; the others are verified
        against their sha256 and appear only when complete."""
        root = Path(dest)
        root.mkdir(parents=True, exist_ok=True)
        todo = [(entry, safe_join(root, entry.path)) for entry in entries]
        jobs: list[Callable[[], None]] = []
        if self.batch_read is not None:
            small = [t for t in todo if t[0].size <= BATCH_FILE_MAX]
            todo = [t for t in todo if t[0].size > BATCH_FILE_MAX]
            jobs = [functools.partial(self._fetch_batch, group, progress)
                    for group in _batches(small, *self.batch_read)]
        urls = self._locations([e.sha256 for e, _ in todo])
        one_ranged = threading.Lock()  # ranged files one at a time: bounded reads, memory
        jobs = [functools.partial(self._fetch_entry, e, t, progress, urls.get(e.sha256),
                                  one_ranged) for e, t in todo] + jobs
        if len(jobs) <= 1 or workers <= 1:
            for job in jobs:
                job()
            return root
        with ThreadPoolExecutor(max_workers=workers,
                                thread_name_prefix="modelyard-download") as pool:
            futures = [pool.submit(job) for job in jobs]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        return root

    def _fetch_batch(self, group: list[Target], progress: Progress | None) -> None:
        """Small files in one batch read: each blob is written to the first file that
        holds it, then copied to the others (same bytes), each renamed into place."""
        wanted: dict[str, list[Target]] = {}
        for entry, target in group:
            if _intact(entry, target):
                if progress:
                    progress(entry.size)
            else:
                wanted.setdefault(entry.sha256, []).append((entry, target))
        if not wanted:
            return
        blobs = self.iter_blobs(list(wanted))
        try:
            for digest, _, chunks in blobs:
                (entry, target), *copies = wanted.pop(digest)
                self._write(entry, target, chunks, progress)
                for other, path in copies:
                    self._write(other, path, _read(target), progress)
        except NotImplementedByServer:  # a server from before batch reads
            for entry, target in [t for ts in wanted.values() for t in ts]:
                self._fetch(entry, target, progress)
            return
        finally:
            close = getattr(blobs, "close", None)
            if close is not None:
                close()  # ends the response of a batch left early
        if wanted:
            raise ServiceUnavailable(f"a batch download from {self.uri} left out "
                                     f"{len(wanted)} file(s); try again")

    # -- direct and ranged reads (transports that have them override these) ----------
    def _locate_blobs(self, digests: list[str]) -> dict[str, str]:
        """Presigned storage URLs of those ``digests`` that have one (none here)."""
        return {}

    def _iter_range(self, digest: str, start: int, end: int,
                   url: str | None = None) -> Iterator[bytes]:
        """Bytes ``[start, end)`` of a blob, streamed from ``url`` or the server."""
        raise NotImplementedError

    def _iter_blob_at(self, digest: str, url: str | None) -> Iterator[bytes]:
        """The bytes of a blob from ``url`` (falling back to the server), or the server."""
        return self.iter_blob(digest)

    def _locations(self, digests: list[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(digests))
        if not unique:
            return {}
        try:
            return self._locate_blobs(unique)
        except NotImplementedByServer:  # a server from before direct downloads
            return {}

    def _fetch_entry(self, entry: FileEntry, target: Path, progress: Progress | None,
                     url: str | None = None, one_ranged: threading.Lock | None = None) -> None:
        """One file, whole or (above :attr:`ranged_above`) as parallel ranged reads;
        ranged files of one download take turns (``one_ranged``), so at most
        :attr:`range_workers` ranged reads, and their parts, are in flight at once."""
        if _intact(entry, target):
            if progress:
                progress(entry.size)
            return
        if self.ranged_above is not None and entry.size > self.ranged_above:
            with one_ranged or threading.Lock():
                fetch_ranged(entry, target,
                             functools.partial(self._iter_range, entry.sha256, url=url),
                             progress, part=self.range_part, workers=self.range_workers)
            return
        if url is None:
            self._fetch(entry, target, progress)
            return
        chunks = self._iter_blob_at(entry.sha256, url)
        self._write(entry, target, _prefetch(chunks) if entry.size > PREFETCH_ABOVE
                    else chunks, progress)

    def _fetch(self, entry: FileEntry, target: Path, progress: Progress | None) -> None:
        """Download one blob to ``target``; above :data:`PREFETCH_ABOVE` a thread
        receives while this one hashes and writes (both release the GIL)."""
        chunks = self.iter_blob(entry.sha256)
        self._write(entry, target, _prefetch(chunks) if entry.size > PREFETCH_ABOVE
                    else chunks, progress)

    @staticmethod
    def _write(entry: FileEntry, target: Path, chunks: Iterable[bytes],
               progress: Progress | None) -> None:
        """Write ``chunks`` to a partial file beside ``target``, hashing them, and rename
        it into place only if its sha256 is the entry's."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as fh:
                for chunk in chunks:
                    h.update(chunk)
                    fh.write(chunk)
                    if progress:
                        progress(len(chunk))
            if h.hexdigest() != entry.sha256:
                raise mismatch(f"file {entry.path!r}", entry.sha256, h.hexdigest())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _intact(entry: FileEntry, target: Path) -> bool:
    """A file already in place with the entry's size and sha256 (kept as it is)."""
    return target.is_file() and target.stat().st_size == entry.size and \
        sha256_file(target)[0] == entry.sha256


def _read(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def _batches(todo: list[Target], most: int, most_bytes: int) -> Iterator[list[Target]]:
    """``todo`` in groups of at most ``most`` distinct blobs and ``most_bytes`` bytes
    (files that share a blob stay in one group, which counts the blob once)."""
    by_digest: dict[str, list[Target]] = {}
    for t in todo:
        by_digest.setdefault(t[0].sha256, []).append(t)
    group: list[Target] = []
    blobs = size = 0
    for same in by_digest.values():
        blob = same[0][0].size
        if group and (blobs + 1 > most or size + blob > most_bytes):
            yield group
            group, blobs, size = [], 0, 0
        group += same
        blobs += 1
        size += blob
    if group:
        yield group


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
