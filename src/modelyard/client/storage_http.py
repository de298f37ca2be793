"""Reads straight from object storage (presigned URLs from ``POST /blobs:locate``)
and ranged reads, for the REST client; a storage that cannot be reached, or refuses,
is left for the server's blob route.  The storage is called with a client of its own
that carries no credential of ours: a presigned URL holds its own signature."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx

from modelyard.client.http_errors import CHUNK, raise_for_error, transport_reason
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
    def _locate_blobs(self, digests: list[str]) -> dict[str, str]:
        if not self.direct:
            return {}
        out: dict[str, str] = {}
        for i in range(0, len(digests), 1000):
            found = self._request("POST", "/blobs:locate",
                                  json={"digests": digests[i:i + 1000]})["locations"]
            out.update({f["sha256"]: f["url"] for f in found if f.get("url")})
        return out

    def _storage_http(self) -> httpx.Client:
        """The client for storage URLs: no base URL and no credential of ours (a
        presigned URL carries its own signature; our token never leaves for it)."""
        if self._storage is None:
            self._storage = httpx.Client(timeout=httpx.Timeout(self._timeout, connect=10.0),
                                         headers={"User-Agent": "modelyard-client"},
                                         limits=httpx.Limits(max_connections=64))
        return self._storage

    def _iter_range(self, digest: str, start: int, end: int,
                   url: str | None = None) -> Iterator[bytes]:
        """Bytes ``[start, end)``, streamed: from ``url`` when given and reachable, else
        from the server.  A storage that refuses (an expired URL) is left for the
        server at once; one that fails on the wire is marked unreachable and the
        failure raised, so the caller asks again (then from the server) from where the
        stream stopped.  Bytes are handed on as they arrive (not gathered into larger
        chunks), so what arrived before a failure is kept."""
        headers = {"Range": f"bytes={start}-{end - 1}"}
        if url is not None and self._reachable(url):
            try:
                with self._storage_http().stream("GET", url, headers=headers) as resp:
                    if resp.status_code == 206 or (resp.status_code == 200 and start == 0):
                        yield from resp.iter_raw()
                        return
                    log.warning("storage answered %s to a ranged read; reading through %s",
                                resp.status_code, self.uri)
            except httpx.TransportError as exc:
                self._unreachable.add(httpx.URL(url).host)
                log.warning("storage unreachable (%s); reading through %s",
                            transport_reason(exc), self.uri)
                raise ServiceUnavailable(f"download from the storage failed: "
                                         f"{transport_reason(exc)}") from None
        try:
            with self.http.stream("GET", f"/blobs/sha256/{digest}", headers=headers) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise_for_error(resp)
                yield from resp.iter_raw()
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"download from {self.uri} failed: "
                                     f"{transport_reason(exc)}") from None

    def _reachable(self, url: str) -> bool:
        return httpx.URL(url).host not in self._unreachable

    def _iter_blob_at(self, digest: str, url: str | None) -> Iterator[bytes]:
        """A whole blob from ``url``; from the server when the storage cannot be
        reached or refuses before its first byte (a failure after it is raised: the
        file is fetched again on the next download)."""
        if url is not None and self._reachable(url):
            sent = False
            try:
                with self._storage_http().stream("GET", url) as resp:
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

