"""Blobs in Azure Blob Storage: ``azure://container/prefix?account=NAME[&endpoint=URL]``.

Keys are ``<prefix>sha256/ab/cdef...``, as on every store.  A blob that fits in one
part (8 MiB) is hashed in memory and written in one request once its digest and size
check out.  A larger one is staged as uncommitted blocks (each sent with its MD5, which
the service checks) on its final key and becomes visible only when the block list is
committed, after the whole digest was verified; an upload whose digest is unknown
until the end (MLflow's artifact PUT) stages on ``<prefix>tmp/<upload>.data`` and is
copied server-side to its final key.  Each upload in flight keeps a small marker
``<prefix>tmp/<upload>`` (its bytes so far, rewritten per block) so that ``sweep_temp``
can find stale ones; Azure discards uncommitted blocks by itself after seven days.

Credentials come from the usual Azure settings: ``AZURE_STORAGE_CONNECTION_STRING``;
else the account URL (``endpoint``, or ``https://<account>.blob.core.windows.net``)
with ``AZURE_STORAGE_KEY`` or ``AZURE_STORAGE_SAS_TOKEN``, else ``DefaultAzureCredential``
when ``azure-identity`` is installed.  They are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlparse

from modelyard.artifacts.base import (
    CHUNK,
    ChunkReader,
    missing_by_lookup,
    object_key,
    put_file,
    sizes_by_lookup,
    verify_upload,
)
from modelyard.artifacts.object_multipart import copy_and_wait
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


def _translate(exc: Exception, what: str) -> Exception:
    if type(exc).__name__ == "ResourceNotFoundError" or getattr(exc, "status_code", 0) == 404:
        return NotFound(f"blob {what} does not exist")
    code = getattr(exc, "error_code", None) or type(exc).__name__
    return ServiceUnavailable(f"object storage error on {what}: {code}")


class AzureBlobWriter:
    def __init__(self, store: AzureBlobStore, digest: str | None, max_size: int) -> None:
        self.store = store
        self.digest = digest
        self.max_size = max_size
        self.size = 0
        self.staged = 0
        self.hash = hashlib.sha256()
        self.buf = bytearray()
        self.upload = secrets.token_hex(16)
        self.marker = f"{store.prefix}tmp/{self.upload}"
        self.target = store.key(digest) if digest else f"{self.marker}.data"
        self.blocks: list[str] = []
        self.done = False

    def _flush(self) -> None:
        data, self.buf = bytes(self.buf), bytearray()
        block = base64.b64encode(f"{self.upload}-{len(self.blocks):06d}".encode()).decode()
        self.store.container.get_blob_client(self.target).stage_block(
            block, data, validate_content=True)
        self.blocks.append(block)
        self.staged += len(data)
        self.store.container.upload_blob(self.marker, b"", overwrite=True,
                                         metadata={"staged": str(self.staged)})

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
            except Exception as exc:  # noqa: BLE001 - azure errors are translated here
                self.abort()
                raise _translate(exc, "an upload block") from None

    def commit(self, expected_size: int | None = None) -> int:
        try:
            actual = self.hash.hexdigest()
            verify_upload(self.digest, actual, self.size, expected_size)
            final = self.store.container.get_blob_client(self.store.key(actual))
            if not self.blocks:
                final.upload_blob(bytes(self.buf), overwrite=True, validate_content=True)
            else:
                if self.buf:
                    self._flush()
                staged = self.store.container.get_blob_client(self.target)
                staged.commit_block_list(self.blocks)
                if self.digest is None:
                    copy_and_wait(staged, final)
            self.digest = actual
            self.done = True
            self._cleanup()
            return self.size
        except (DigestMismatch, PayloadTooLarge):
            self.abort()
            raise
        except Exception as exc:  # noqa: BLE001
            self.abort()
            raise _translate(exc, "an upload") from None

    def _cleanup(self) -> None:
        names = [self.marker] + ([self.target] if self.target.endswith(".data") else [])
        for name in names:
            try:
                self.store.container.delete_blob(name)
            except Exception:  # noqa: BLE001,S110 - best effort; sweep_temp removes leftovers
                pass

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        if self.blocks:
            self._cleanup()


def _client(parsed_account: str | None, endpoint: str | None, container: str) -> Any:
    try:
        from azure.storage.blob import BlobServiceClient
    except ImportError as exc:
        raise InvalidParameter(
            "azure:// storage needs the azure extra: pip install 'modelyard[azure]'") from exc
    connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    if connection:
        service = BlobServiceClient.from_connection_string(connection)
    else:
        if not parsed_account and not endpoint:
            raise InvalidParameter(
                "an Azure URL needs ?account=NAME (or ?endpoint=URL), or "
                "AZURE_STORAGE_CONNECTION_STRING in the environment")
        url = endpoint or f"https://{parsed_account}.blob.core.windows.net"
        credential: Any = os.environ.get("AZURE_STORAGE_SAS_TOKEN")
        key = os.environ.get("AZURE_STORAGE_KEY")
        if key:
            credential = {"account_name": parsed_account, "account_key": key}
        if credential is None:
            try:
                from azure.identity import DefaultAzureCredential
            except ImportError as exc:
                raise InvalidParameter(
                    "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, "
                    "AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, or install "
                    "azure-identity") from exc
            credential = DefaultAzureCredential()
        service = BlobServiceClient(url, credential=credential)
    return service.get_container_client(container)


class AzureBlobStore(ObjectPartSessions):
    scheme = "azure"

    def __init__(self, container: Any, prefix: str = "", part_size: int = PART) -> None:
        self.container = container
        self.part_size = part_size
        self.prefix = (prefix.strip("/") + "/") if prefix.strip("/") else ""

    @classmethod
    def from_url(cls, url: str) -> AzureBlobStore:
        parsed = urlparse(url)
        if not parsed.netloc:
            raise InvalidParameter("an Azure URL needs a container: azure://container/prefix")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        unknown = set(query) - {"account", "endpoint"}
        if unknown:
            raise InvalidParameter(f"unknown Azure URL options: {', '.join(sorted(unknown))}")
        container = _client(query.get("account"), query.get("endpoint"), parsed.netloc)
        return cls(container, parsed.path)

    def key(self, digest: str) -> str:
        return object_key(self.prefix, digest)

    def _props(self, digest: str) -> Any:
        key = self.key(digest)
        try:
            return self.container.get_blob_client(key).get_blob_properties()
        except Exception as exc:  # noqa: BLE001
            err = _translate(exc, digest)
            if isinstance(err, NotFound):
                return None
            raise err from None

    def has(self, digest: str) -> bool:
        return self._props(digest) is not None

    def missing(self, digests: Iterable[str]) -> list[str]:
        return missing_by_lookup(self.has, digests)

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        def size(d: str) -> int | None:
            props = self._props(d)
            return None if props is None else int(props.size)
        return sizes_by_lookup(size, digests)

    def size(self, digest: str) -> int:
        props = self._props(digest)
        if props is None:
            raise NotFound(f"blob {digest} does not exist")
        return int(props.size)

    def writer(self, digest: str | None, max_size: int) -> AzureBlobWriter:
        if digest is not None:
            check_digest(digest)
        return AzureBlobWriter(self, digest, max_size)

    def put_file(self, path: str, digest: str) -> int:
        return put_file(self, path, digest)

    def open(self, digest: str) -> BinaryIO:
        return ChunkReader(self.read_chunks(digest))

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = CHUNK) -> Iterator[bytes]:
        key = self.key(digest)
        length = None if end is None else max(end - start, 0)
        if length == 0:
            return
        try:
            stream = self.container.get_blob_client(key).download_blob(
                offset=start if (start or length is not None) else None, length=length,
                max_concurrency=1)
            yield from stream.chunks()
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, digest) from None

    def local_path(self, digest: str) -> str | None:
        return None

    def presign_get(self, digest: str, expires_s: int) -> str | None:
        """A read-only SAS URL of the blob, signed with the account key; None with any
        other credential (a SAS token of our own is never handed out)."""
        credential = getattr(self.container, "credential", None)
        account_key = getattr(credential, "account_key", None)
        account_name = getattr(credential, "account_name", None)
        if not account_key or not account_name:
            return None
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        key = self.key(digest)
        try:
            sas = generate_blob_sas(
                account_name, self.container.container_name, key, account_key=account_key,
                permission=BlobSasPermissions(read=True),
                expiry=datetime.now(UTC) + timedelta(seconds=expires_s))
            url: str = self.container.get_blob_client(key).url
        except Exception:  # noqa: BLE001
            return None
        return f"{url.split('?', 1)[0]}?{sas}"

    def delete(self, digest: str) -> None:
        key = self.key(digest)
        try:
            self.container.delete_blob(key)
        except Exception as exc:  # noqa: BLE001
            err = _translate(exc, digest)
            if not isinstance(err, NotFound):
                raise err from None

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        try:
            for blob in self.container.list_blobs(name_starts_with=f"{self.prefix}sha256/"):
                digest = blob.name[len(self.prefix) + len("sha256/"):].replace("/", "")
                if len(digest) == 64:
                    yield digest, blob.last_modified.timestamp()
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "the blob listing") from None

    def stat(self, digest: str) -> tuple[int, float] | None:
        props = self._props(digest)
        if props is None:
            return None
        return int(props.size), props.last_modified.timestamp()

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Uploads whose newest block was staged before ``older_than`` (judged by their
        marker) and temporary copies: count and bytes, removed unless ``dry_run``."""
        files = size = 0
        try:
            for blob in self.container.list_blobs(name_starts_with=f"{self.prefix}tmp/",
                                                  include=["metadata"]):
                if blob.last_modified.timestamp() >= older_than:
                    continue
                if blob.name.endswith(".data"):
                    # The staged copy of an upload whose marker is also listed is counted
                    # with the marker; a committed one without a marker is its own.
                    if not dry_run:
                        self.container.delete_blob(blob.name)
                    continue
                files += 1
                size += int((blob.metadata or {}).get("staged", 0))
                if not dry_run:
                    self.container.delete_blob(blob.name)
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "partial uploads") from None
        return files, size

    # -- multipart (upload sessions): ``session_methods.py``, ``object_multipart.py`` --
    def _mp(self) -> Any:
        from modelyard.artifacts.object_multipart import AzureMultipart

        return AzureMultipart(self)

    def _fault(self, exc: Exception, what: str) -> Exception:
        return _translate(exc, what)
