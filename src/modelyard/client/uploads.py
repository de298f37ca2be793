"""The REST client's uploads over upload sessions (``/api/v1/uploads``).

- A file of at least :attr:`UploadOptions.multipart_threshold` bytes is a multipart
  upload: parts of :attr:`UploadOptions.part_size`, up to :attr:`UploadOptions.workers`
  at once.  Each part is read, hashed, given a URL (presigned to the storage, its
  sha256 bound, or a signed URL of the server's part route) and sent.  A re-run after
  an interrupt continues the same session (the server finds it by digest) and sends
  only the parts the storage does not hold.
- A file under :attr:`UploadOptions.direct_min_size` (1 MiB) is one streamed PUT to
  the server, which stores it with one request once hashed.
- Many small files, when the server transfers directly: sessions and their URLs are
  asked for in batches (:data:`SMALL_BATCH` files a call), the files go straight to
  the storage, and the batch is completed in one call.  Through the server, a small
  file stays one streamed PUT.
- A direct PUT that cannot reach the storage (connection refused, DNS, TLS) is sent
  again through the server, and the rest of the run goes through the server.

Storage URLs are sent with no credential of ours (the URL's signature is the
permission): a separate HTTP client without the registry token.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from modelyard.client.contract import Progress
from modelyard.domain.entities import FileEntry
from modelyard.errors import Conflict, ModelyardError, NotFound, ServiceUnavailable

#: Small files per batch of sessions (the server takes up to 1000).
SMALL_BATCH = 500
MIN_PART = 5 << 20
MAX_PART = 64 << 20
MAX_WORKERS = 32


@dataclass
class UploadOptions:
    """``multipart_threshold``: files at least this large go in parts; ``part_size``
    (5-64 MiB) and ``workers`` (parts, or small files, sent at once; at most 32)."""

    multipart_threshold: int = 64 << 20
    part_size: int = 16 << 20
    workers: int = 8
    direct: bool = True
    #: Files below this size go through the server even when transfers are direct:
    #: for a small file the storage's requests cost more than its bytes (a presigned
    #: PUT to a temporary key, its read-back, a copy and a delete against one PUT by
    #: the server once it has hashed the bytes), as the Hugging Face Hub sends files
    #: under its LFS threshold with the commit.  0 sends every file direct.
    direct_min_size: int = 1 << 20

    def __post_init__(self) -> None:
        self.part_size = max(MIN_PART, min(MAX_PART, self.part_size))
        self.workers = max(1, min(MAX_WORKERS, self.workers))

    def via_server(self, size: int) -> bool:
        """Whether a file of ``size`` bytes goes through the server, direct or not."""
        return size < min(self.direct_min_size, self.multipart_threshold)


class SessionUploads:
    """Mixed into :class:`~modelyard.client.http.HttpClient` (which has ``_request``,
    ``uri``, ``http`` and ``upload_blob``)."""

    uri: str
    http: httpx.Client
    _request: Callable[..., Any]
    upload_blob: Callable[..., None]
    _put_blob: Callable[..., dict[str, Any]]
    missing_blobs: Callable[[list[str]], list[str]]
    upload_options: UploadOptions
    _storage: httpx.Client | None = None
    _proxy_only = False

    def _storage_client(self) -> httpx.Client:
        if self._storage is None:
            self._storage = httpx.Client(timeout=httpx.Timeout(300.0, connect=10.0),
                                         limits=httpx.Limits(max_connections=64))
        return self._storage

    def _send_unasked(self, files: list[tuple[FileEntry, Path]], progress: Progress | None,
                      workers: int) -> tuple[int, set[str]]:
        """On object storage, files under ``direct_min_size`` are sent through the server
        without asking first which are missing: asking costs the storage one request a
        file, as storing does (the server writes only where no blob is, and says which
        bytes were new)."""
        opts = self.upload_options
        tiny = [t for t in files if opts.via_server(t[0].size)]
        if not tiny or not self._direct_now() or not self._server_config().get("writes_once"):
            return 0, set()

        def put(t: tuple[FileEntry, Path]) -> bool:
            return bool(self._put_blob(t[0], t[1], progress).get("created", True))

        created = self._each(tiny, put, max(workers, opts.workers * 2))
        return (sum(t[0].size for t, new in zip(tiny, created, strict=True) if new),
                {t[0].sha256 for t in tiny})

    def _send_missing(self, todo: list[tuple[FileEntry, Path]], progress: Progress | None,
                      workers: int) -> None:
        opts = self.upload_options
        large = [t for t in todo if t[0].size >= opts.multipart_threshold]
        small = [t for t in todo if opts.direct_min_size <= t[0].size < opts.multipart_threshold]
        tiny = [t for t in todo if opts.via_server(t[0].size)]
        if small and len(small) > 1 and self._direct_now():
            for i in range(0, len(small), SMALL_BATCH):
                self._send_small(small[i:i + SMALL_BATCH], progress)
        else:
            tiny += small
        if tiny:
            self._each(tiny, lambda t: self.upload_blob(t[0], t[1], progress),
                       max(workers, opts.workers))
        for entry, path in large:
            self._upload_multipart(entry, path, progress)

    @staticmethod
    def _each(items: list[Any], job: Callable[[Any], Any], workers: int) -> list[Any]:
        if len(items) <= 1 or workers <= 1:
            return [job(t) for t in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="modelyard-up") as pool:
            return list(pool.map(job, items))

    _config: dict[str, Any] | None = None

    def _server_config(self) -> dict[str, Any]:
        """The server's upload settings (asked once)."""
        if self._config is None:
            try:
                self._config = dict(self._request("GET", "/uploads:config"))
            except ModelyardError:  # a server from before upload sessions
                self._config = {}
        return self._config

    def _server_direct(self) -> bool:
        """Whether the server hands out storage URLs."""
        return bool(self._server_config().get("direct"))

    def _direct_now(self) -> bool:
        """Whether this client sends to the storage: allowed, not fallen back to the
        server, and the server hands out storage URLs."""
        return self.upload_options.direct and not self._proxy_only and self._server_direct()

    # -- many small files -------------------------------------------------------------
    def _send_small(self, group: list[tuple[FileEntry, Path]], progress: Progress | None) -> None:
        answer = self._request("POST", "/uploads:batch", json={
            "blobs": [{"sha256": e.sha256, "size": e.size} for e, _ in group]})
        paths = {e.sha256: p for e, p in group}
        jobs = []
        for up in answer["uploads"]:
            jobs.append((up["upload_id"], up["urls"][0], paths[up["sha256"]]))

        def send(job: tuple[str, dict[str, Any], Path]) -> None:
            upload_id, target, path = job
            data = path.read_bytes()
            self._put(upload_id, target, data, hashlib.sha256(data).hexdigest())
            if progress:
                progress(len(data))

        self._each(jobs, send, self.upload_options.workers * 2)
        ids = [j[0] for j in jobs]
        if not ids:
            return
        try:
            self._complete("/uploads:complete-batch", sum(e.size for e, _ in group),
                           {"upload_ids": ids})
        except NotFound:
            # A retry of a completion cut short (the storage failed part-way): the
            # sessions that completed are gone.  What is still missing goes through
            # the server.
            lacking = set(self.missing_blobs([e.sha256 for e, _ in group]))
            self._each([t for t in group if t[0].sha256 in lacking],
                       lambda t: self.upload_blob(t[0], t[1], None), self.upload_options.workers)

    # -- one large file ---------------------------------------------------------------
    def _upload_multipart(self, entry: FileEntry, path: Path,
                         progress: Progress | None = None) -> int:
        """Send ``path`` as a multipart upload (continuing a session of the same blob
        left by an interrupted run); returns the bytes sent this time."""
        opts = self.upload_options
        session = self._request("POST", "/uploads", json={
            "sha256": entry.sha256, "size": entry.size, "part_size": opts.part_size})
        if session["exists"]:
            if progress:
                progress(entry.size)
            return 0
        upload_id, part_size, parts = session["upload_id"], session["part_size"], session["parts"]
        held = {p["part"]: p["size"] for p in
                self._request("GET", f"/uploads/{upload_id}")["received"]}
        todo = []
        for n in range(1, parts + 1):
            length = min(part_size, entry.size - (n - 1) * part_size)
            if held.get(n) == length:
                if progress:
                    progress(length)
            else:
                todo.append((n, length))
        sent = 0
        lock = threading.Lock()

        def send(item: tuple[int, int]) -> None:
            nonlocal sent
            n, length = item
            with open(path, "rb") as fh:
                fh.seek((n - 1) * part_size)
                data = fh.read(length)
            digest = hashlib.sha256(data).hexdigest()
            target = self._request("POST", f"/uploads/{upload_id}/urls", json={
                "parts": [{"part": n, "sha256": digest}],
                "proxy": self._proxy_only or not opts.direct})["parts"][0]
            self._put(upload_id, target, data, digest)
            with lock:
                sent += length
            if progress:
                progress(length)

        self._each(todo, send, opts.workers)
        self._complete(f"/uploads/{upload_id}/complete", entry.size)
        return sent

    def _complete(self, path: str, size: int, body: Any = None) -> Any:
        """Completion reads the whole blob back inside the storage: it may take long.
        The wait is proportional to the size (at least a minute; 10 MiB/s the slowest
        storage allowed for); a retry of one still running (the same idempotency key)
        is asked again until it answers."""
        wait = max(60.0, size / (10 << 20))
        timeout = httpx.Timeout(wait, connect=10.0)
        key = {"Idempotency-Key": secrets.token_hex(16)}
        deadline = time.monotonic() + 2 * wait
        while True:
            try:
                return self._request("POST", path, json=body, timeout=timeout, headers=key)
            except Conflict as exc:
                if "still running" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(1.0)

    # -- one part ---------------------------------------------------------------------
    def _put(self, upload_id: str, target: dict[str, Any], data: bytes, digest: str) -> None:
        if target["direct"]:
            try:
                resp = self._storage_client().put(target["url"], content=data,
                                                  headers=target["headers"])
            except httpx.TransportError:
                # The storage is out of reach from here: through the server from now on.
                self._proxy_only = True
                target = self._request("POST", f"/uploads/{upload_id}/urls", json={
                    "parts": [{"part": target["part"], "sha256": digest}],
                    "proxy": True})["parts"][0]
            else:
                if resp.status_code >= 300:
                    raise ServiceUnavailable(f"object storage refused part {target['part']} "
                                             f"(HTTP {resp.status_code})")
                return
        self._request("PUT", target["url"].removeprefix("/api/v1"), content=data,
                      headers={**target["headers"], "Content-Type": "application/octet-stream"})
