"""Reads straight from object storage (presigned URLs from ``POST /blobs:locate``)
and ranged reads, for the REST client; a storage that cannot be reached, or refuses,
is left for the server's blob route.  The storage is called with a client of its own
that carries no credential of ours: a presigned URL holds its own signature."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx

from modelyard.client.http_errors import BACKOFF, CHUNK, raise_for_error, transport_reason
from modelyard.errors import ServiceUnavailable

log = logging.getLogger("modelyard.client")


class HttpStorageReadsMixin:
    uri: str
    http: httpx.Client
    retries: int
    direct: bool
    _timeout: float
    _storage: httpx.Client | None
    _unreachable: set[str]

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def iter_blob(self, digest: str) -> Iterator[bytes]:
        raise NotImplementedError

    # -- direct (presigned) and ranged reads ------------------------------------------
    def locate_blobs(self, digests: list[str]) -> dict[str, str]:
        if not self.direct:
            return {}
        out: dict[str, str] = {}
        for i in range(0, len(digests), 1000):
            found = self._request("POST", "/blobs:locate",
                                  json={"digests": digests[i:i + 1000]})["locations"]
            out.update({f["sha256"]: f["url"] for f in found if f.get("url")})
        return out

    def storage_http(self) -> httpx.Client:
        """The client for storage URLs: no base URL and no credential of ours (a
        presigned URL carries its own signature; our token never leaves for it)."""
        if self._storage is None:
            self._storage = httpx.Client(timeout=httpx.Timeout(self._timeout, connect=10.0),
                                         headers={"User-Agent": "modelyard-client"},
                                         limits=httpx.Limits(max_connections=64))
        return self._storage

    def read_range(self, digest: str, start: int, end: int, url: str | None = None) -> bytes:
        """Bytes ``[start, end)``: from ``url`` when given and reachable, else from the
        server (retried on a failed connection or a 503)."""
        headers = {"Range": f"bytes={start}-{end - 1}"}
        if url is not None and self._reachable(url):
            try:
                resp = self.storage_http().get(url, headers=headers)
                if resp.status_code in (200, 206) and len(resp.content) == end - start:
                    return resp.content
                log.warning("storage answered %s to a ranged read; reading through %s",
                            resp.status_code, self.uri)
            except httpx.TransportError as exc:
                self._unreachable.add(httpx.URL(url).host)
                log.warning("storage unreachable (%s); reading through %s",
                            transport_reason(exc), self.uri)
        for attempt in range(self.retries + 1):
            try:
                resp = self.http.get(f"/blobs/sha256/{digest}", headers=headers)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise ServiceUnavailable(f"download from {self.uri} failed: "
                                             f"{transport_reason(exc)}") from None
                time.sleep(BACKOFF * 2 ** attempt)
                continue
            if resp.status_code == 503 and attempt < self.retries:
                time.sleep(BACKOFF * 2 ** attempt)
                continue
            raise_for_error(resp)
            return resp.content
        raise AssertionError("unreachable")  # pragma: no cover

    def _reachable(self, url: str) -> bool:
        return httpx.URL(url).host not in self._unreachable

    def iter_blob_at(self, digest: str, url: str | None) -> Iterator[bytes]:
        """A whole blob from ``url``; from the server when the storage cannot be
        reached or refuses before its first byte (a failure after it is raised: the
        file is fetched again on the next download)."""
        if url is not None and self._reachable(url):
            sent = False
            try:
                with self.storage_http().stream("GET", url) as resp:
                    if resp.status_code == 200:
                        for chunk in resp.iter_raw(CHUNK):
                            sent = True
                            yield chunk
                        return
                    log.warning("storage answered %s; downloading through %s",
                                resp.status_code, self.uri)
            except httpx.TransportError as exc:
                if sent:
                    raise ServiceUnavailable(f"download from the storage failed: "
                                             f"{transport_reason(exc)}") from None
                self._unreachable.add(httpx.URL(url).host)
                log.warning("storage unreachable (%s); downloading through %s",
                            transport_reason(exc), self.uri)
        yield from self.iter_blob(digest)

