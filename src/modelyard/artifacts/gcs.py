"""Blobs in Google Cloud Storage:
``gs://bucket/prefix[?project=..&endpoint=..&anonymous=1&listing=on|off]``.

Keys are ``<prefix>sha256/ab/cdef...``, as on every store.  A blob that fits in one
part (8 MiB) is hashed in memory and written to its final key in one request, once its
digest and size check out.  A larger one is written as part objects under
``<prefix>tmp/<upload>/<n>`` and composed server-side into its final key at commit
(GCS composes at most 32 objects a call, so longer uploads compose in a tree); the
final key is written only after the whole digest was verified, so no object is ever
visible half-written.  Parts are ordinary objects, so a stale upload is found and
removed by ``sweep_temp`` like S3's incomplete multipart uploads.  Credentials come
from the usual Google sources (application default credentials, or
``STORAGE_EMULATOR_HOST`` for an emulator); they are never logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlparse

from modelyard.artifacts.base import (
    CHUNK,
    ChunkReader,
    object_key,
    put_file,
    sizes_by_lookup,
    verify_upload,
)
from modelyard.artifacts.listing import missing_of, page_size_option, sizes_of
from modelyard.artifacts.session_methods import ObjectPartSessions
from modelyard.domain.validation import check_digest
from modelyard.errors import (
    DigestMismatch,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)

PART = 8 << 20
COMPOSE_MAX = 32  # sources per compose call


def _translate(exc: Exception, what: str) -> Exception:
    code = getattr(exc, "code", None)
    if code == 404 or type(exc).__name__ == "NotFound":
        return NotFound(f"blob {what} does not exist")
    return ServiceUnavailable(f"object storage error on {what}: {code or type(exc).__name__}")


class GCSBlobWriter:
    def __init__(self, store: GCSBlobStore, digest: str | None, max_size: int) -> None:
        self.store = store
        self.digest = digest
        self.max_size = max_size
        self.size = 0
        self.hash = hashlib.sha256()
        self.buf = bytearray()
        self.upload = f"{store.prefix}tmp/{secrets.token_hex(16)}/"
        self.parts: list[str] = []
        self.done = False

    def _flush(self) -> None:
        data, self.buf = bytes(self.buf), bytearray()
        name = f"{self.upload}{len(self.parts):05d}"
        self.store.bucket.blob(name).upload_from_string(
            data, content_type="application/octet-stream", checksum="md5")
        self.parts.append(name)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_size:
            self.abort()
            raise PayloadTooLarge(f"blob is larger than the limit of {self.max_size} bytes")
        self.hash.update(chunk)
        self.buf += chunk
        if len(self.buf) >= self.store.part_size:
            try:
                self._flush()
            except Exception as exc:  # noqa: BLE001 - google errors are translated here
                self.abort()
                raise _translate(exc, "an upload part") from None

    def commit(self, expected_size: int | None = None) -> int:
        try:
            actual = self.hash.hexdigest()
            verify_upload(self.digest, actual, self.size, expected_size)
            self.digest = actual
            final = self.store.bucket.blob(self.store.key(actual))
            if not self.parts:
                final.upload_from_string(bytes(self.buf), checksum="md5",
                                         content_type="application/octet-stream")
            else:
                if self.buf:
                    self._flush()
                self._compose(final)
            self.done = True
            self._remove_parts()
            return self.size
        except (DigestMismatch, PayloadTooLarge):
            self.abort()
            raise
        except Exception as exc:  # noqa: BLE001
            self.abort()
            raise _translate(exc, "an upload") from None

    def _compose(self, final: Any) -> None:
        sources = list(self.parts)
        level = 0
        while len(sources) > COMPOSE_MAX:
            grouped = []
            for i in range(0, len(sources), COMPOSE_MAX):
                name = f"{self.upload}c{level}-{i // COMPOSE_MAX:05d}"
                target = self.store.bucket.blob(name)
                target.compose([self.store.bucket.blob(s) for s in sources[i:i + COMPOSE_MAX]])
                grouped.append(name)
                self.parts.append(name)
            sources, level = grouped, level + 1
        final.compose([self.store.bucket.blob(s) for s in sources])

    def _remove_parts(self) -> None:
        for name in self.parts:
            try:
                self.store.bucket.blob(name).delete()
            except Exception:  # noqa: BLE001,S110 - best effort; sweep_temp removes leftovers
                pass
        self.parts = []

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        self._remove_parts()


class GCSBlobStore(ObjectPartSessions):
    scheme = "gs"

    def __init__(self, bucket: Any, prefix: str = "", part_size: int = PART) -> None:
        self.bucket = bucket
        self.part_size = part_size
        self.prefix = (prefix.strip("/") + "/") if prefix.strip("/") else ""
        self.list_page_size = 1000  # keys a presence listing asks for at once; 0: none

    @classmethod
    def from_url(cls, url: str) -> GCSBlobStore:
        try:
            from google.cloud import storage
        except ImportError as exc:
            raise InvalidParameter(
                "gs:// storage needs the gcs extra: pip install 'modelyard[gcs]'") from exc
        parsed = urlparse(url)
        if not parsed.netloc:
            raise InvalidParameter("a GCS URL needs a bucket: gs://bucket/prefix")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        unknown = set(query) - {"project", "endpoint", "anonymous", "listing"}
        if unknown:
            raise InvalidParameter(f"unknown GCS URL options: {', '.join(sorted(unknown))}")
        options: dict[str, Any] = {}
        if "endpoint" in query:
            options["client_options"] = {"api_endpoint": query["endpoint"]}
        if query.get("anonymous", "false").lower() in ("1", "true", "yes"):
            from google.auth import credentials

            # An emulator takes no credentials.
            anonymous: Any = credentials.AnonymousCredentials
            options["credentials"] = anonymous()
        client = storage.Client(project=query.get("project"), **options)
        store = cls(client.bucket(parsed.netloc), parsed.path)
        store.list_page_size = page_size_option(query)
        return store

    def key(self, digest: str) -> str:
        return object_key(self.prefix, digest)

    def _get(self, digest: str) -> Any:
        key = self.key(digest)
        try:
            return self.bucket.get_blob(key)
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, digest) from None

    def has(self, digest: str) -> bool:
        return self._get(digest) is not None

    def missing(self, digests: Iterable[str]) -> list[str]:
        return missing_of(digests, self.sizes)

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        """By ordered listings where the digests are many (``listing.py``), else one
        lookup each."""
        return sizes_of(digests, self.key, self._page if self.list_page_size else None,
                        self._sizes_by_lookup)

    def _sizes_by_lookup(self, digests: Iterable[str]) -> dict[str, int]:
        def size(d: str) -> int | None:
            blob = self._get(d)
            return None if blob is None else int(blob.size)
        return sizes_by_lookup(size, digests)

    def _page(self, first: str) -> tuple[list[tuple[str, int]], bool]:
        """One page of blob keys from ``first`` on (``start_offset`` is inclusive)."""
        try:
            it = self.bucket.list_blobs(prefix=f"{self.prefix}sha256/", start_offset=first,
                                        max_results=self.list_page_size)
            page = next(it.pages, None)
            entries = [(b.name, int(b.size)) for b in page] if page is not None else []
            return entries, it.next_page_token is not None
        except Exception as exc:  # noqa: BLE001
            # A missing bucket is a broken store, not an absent blob.
            raise ServiceUnavailable("object storage error on the blob listing: "
                                     f"{type(exc).__name__}") from None

    def size(self, digest: str) -> int:
        blob = self._get(digest)
        if blob is None:
            raise NotFound(f"blob {digest} does not exist")
        return int(blob.size)

    def writer(self, digest: str | None, max_size: int) -> GCSBlobWriter:
        if digest is not None:
            check_digest(digest)
        return GCSBlobWriter(self, digest, max_size)

    def put_file(self, path: str, digest: str) -> int:
        return put_file(self, path, digest)

    def open(self, digest: str) -> BinaryIO:
        return ChunkReader(self.read_chunks(digest))

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = CHUNK) -> Iterator[bytes]:
        blob = self.bucket.blob(self.key(digest))
        try:
            reader = blob.open("rb", chunk_size=chunk_size)
            reader.seek(start)
            left = None if end is None else end - start
            while left is None or left > 0:
                data = reader.read(chunk_size if left is None else min(chunk_size, left))
                if not data:
                    return
                if left is not None:
                    left -= len(data)
                yield data
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, digest) from None

    def local_path(self, digest: str) -> str | None:
        return None

    def presign_get(self, digest: str, expires_s: int) -> str | None:
        """A V4 signed GET URL; needs credentials that can sign (a service account key
        or the IAM signBlob permission), else None and the server serves the bytes."""
        from datetime import timedelta

        try:
            url: str = self.bucket.blob(self.key(digest)).generate_signed_url(
                version="v4", expiration=timedelta(seconds=expires_s), method="GET")
            return url
        except Exception:  # noqa: BLE001 - anonymous or non-signing credentials
            return None

    def delete(self, digest: str) -> None:
        blob = self.bucket.blob(self.key(digest))
        try:
            blob.delete()
        except Exception as exc:  # noqa: BLE001
            err = _translate(exc, digest)
            if not isinstance(err, NotFound):
                raise err from None

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        try:
            for blob in self.bucket.list_blobs(prefix=f"{self.prefix}sha256/"):
                digest = blob.name[len(self.prefix) + len("sha256/"):].replace("/", "")
                if len(digest) == 64:
                    yield digest, blob.updated.timestamp()
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "the blob listing") from None

    def stat(self, digest: str) -> tuple[int, float] | None:
        blob = self._get(digest)
        if blob is None:
            return None
        return int(blob.size), blob.updated.timestamp()

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Uploads whose newest part was written before ``older_than``: count and bytes,
        their parts deleted unless ``dry_run``.  An upload still receiving parts is
        kept however long ago it began."""
        uploads: dict[str, list[Any]] = {}
        try:
            for blob in self.bucket.list_blobs(prefix=f"{self.prefix}tmp/"):
                upload = blob.name[len(self.prefix) + len("tmp/"):].split("/", 1)[0]
                uploads.setdefault(upload, []).append(blob)
            files = size = 0
            for parts in uploads.values():
                if max(p.updated.timestamp() for p in parts) >= older_than:
                    continue
                files += 1
                size += sum(int(p.size or 0) for p in parts)
                if not dry_run:
                    for p in parts:
                        p.delete()
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "partial uploads") from None
        return files, size

    # -- multipart (upload sessions): ``session_methods.py``, ``object_multipart.py`` --
    def _mp(self) -> Any:
        from modelyard.artifacts.object_multipart import GCSMultipart

        return GCSMultipart(self)

    def _fault(self, exc: Exception, what: str) -> Exception:
        return _translate(exc, what)
