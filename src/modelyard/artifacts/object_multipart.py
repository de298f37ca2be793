"""Upload sessions on Google Cloud Storage and Azure Blob (the multipart half of
their blob stores), sharing one shape: parts live under ``<prefix>uploads/<upload id>``
(outside ``tmp/``, so ``sweep_temp`` leaves them to their session's expiry), the whole
sha256 is computed by reading the parts back in order on completion, and only a
match becomes visible under its final key.

- GCS: each part is an object ``<prefix>uploads/<id>/<n>`` uploaded with its MD5 (which
  the storage checks); completion composes them into the final key (a tree of compose
  calls past 32 parts).  Presigned part URLs need signing credentials (a service
  account); without them (an emulator, anonymous access) parts go through the server.
- Azure: each part is an uncommitted block, staged with its Content-MD5 (checked by the
  service), of ``<prefix>uploads/<id>.data``; completion commits the block list there,
  reads it back, and copies a match to its final key.  Presigned part URLs are SAS URLs
  when the store has the account key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from typing import Any

from modelyard.artifacts.base import verify_upload
from modelyard.errors import DigestMismatch, NotFound, PayloadTooLarge, ServiceUnavailable


def _check(handle: str) -> str:
    if len(handle) != 32 or not handle.isalnum():
        raise NotFound("upload session does not exist")
    return handle


class GCSMultipart:
    def __init__(self, store: Any) -> None:
        self.store = store

    def _folder(self, handle: str) -> str:
        return f"{self.store.prefix}uploads/{_check(handle)}/"

    def put(self, handle: str, part: int, data: bytes) -> None:
        self.store.bucket.blob(f"{self._folder(handle)}{part:05d}").upload_from_string(
            data, content_type="application/octet-stream", checksum="md5")

    def parts(self, handle: str) -> dict[int, int]:
        folder = self._folder(handle)
        out = {}
        for blob in self.store.bucket.list_blobs(prefix=folder):
            tail = blob.name[len(folder):]
            if tail.isdigit():
                out[int(tail)] = int(blob.size or 0)
        return out

    def presign(self, handle: str, part: int, expires_s: int) -> tuple[str, dict[str, str]]:
        blob = self.store.bucket.blob(f"{self._folder(handle)}{part:05d}")
        url = blob.generate_signed_url(version="v4", method="PUT",
                                       expiration=dt.timedelta(seconds=expires_s),
                                       content_type="application/octet-stream")
        return str(url), {"Content-Type": "application/octet-stream"}

    def complete(self, handle: str, parts: int, digest: str | None, size: int | None,
                 max_size: int) -> tuple[str, int]:
        folder = self._folder(handle)
        names = [f"{folder}{n:05d}" for n in range(1, parts + 1)]
        h = hashlib.sha256()
        total = 0
        for name in names:
            data = self.store.bucket.blob(name).download_as_bytes()
            total += len(data)
            if total > max_size:
                raise PayloadTooLarge(f"blob is larger than the limit of {max_size} bytes")
            h.update(data)
        actual = h.hexdigest()
        verify_upload(digest, actual, total, size)
        if not self.store.has(actual):
            self._compose(folder, names, self.store.bucket.blob(self.store.key(actual)))
        self.abort(handle)
        return actual, total

    def _compose(self, folder: str, sources: list[str], final: Any) -> None:
        bucket, level = self.store.bucket, 0
        while len(sources) > 32:
            grouped = []
            for i in range(0, len(sources), 32):
                name = f"{folder}c{level}-{i // 32:05d}"
                bucket.blob(name).compose([bucket.blob(s) for s in sources[i:i + 32]])
                grouped.append(name)
            sources, level = grouped, level + 1
        final.compose([bucket.blob(s) for s in sources])

    def abort(self, handle: str) -> None:
        for blob in list(self.store.bucket.list_blobs(prefix=self._folder(handle))):
            try:
                blob.delete()
            except Exception as exc:  # noqa: BLE001 - gone already
                if getattr(exc, "code", None) != 404:
                    raise


#: The longest wait for a copy inside Azure storage to finish.
COPY_WAIT_S = 600.0


def copy_and_wait(source: Any, final: Any, wait_s: float = COPY_WAIT_S) -> None:
    """Copy one blob to another inside the storage, waiting (bounded) until it is done."""
    final.start_copy_from_url(source.url)
    deadline = time.monotonic() + wait_s
    while (status := final.get_blob_properties().copy.status) == "pending":
        if time.monotonic() > deadline:
            raise ServiceUnavailable("object storage did not finish a copy in time")
        time.sleep(0.05)
    if status != "success":
        raise ServiceUnavailable(f"object storage copy ended as {status}")


def _block_id(handle: str, part: int) -> str:
    return base64.b64encode(f"{handle}-{part:06d}".encode()).decode()


class AzureMultipart:
    def __init__(self, store: Any) -> None:
        self.store = store

    def _blob(self, handle: str) -> Any:
        return self.store.container.get_blob_client(
            f"{self.store.prefix}uploads/{_check(handle)}.data")

    def put(self, handle: str, part: int, data: bytes) -> None:
        self._blob(handle).stage_block(_block_id(handle, part), data, validate_content=True)

    def parts(self, handle: str) -> dict[int, int]:
        try:
            _, uncommitted = self._blob(handle).get_block_list("uncommitted")
        except Exception as exc:  # noqa: BLE001 - no block staged yet
            if type(exc).__name__ == "ResourceNotFoundError":
                return {}
            raise
        out = {}
        for block in uncommitted:
            name = base64.b64decode(block.id).decode()
            out[int(name.rsplit("-", 1)[1])] = int(block.size)
        return out

    def presign(self, handle: str, part: int, expires_s: int) -> tuple[str, dict[str, str]]:
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        blob = self._blob(handle)
        key = getattr(blob.credential, "account_key", None)
        if not key:
            raise LookupError("no account key to sign with")
        sas = generate_blob_sas(blob.account_name, blob.container_name, blob.blob_name,
                                account_key=key, permission=BlobSasPermissions(write=True),
                                expiry=dt.datetime.now(dt.UTC)
                                + dt.timedelta(seconds=expires_s))
        # The SDK base64-encodes the block ids it is given (stage_block, commit) and
        # decodes those it lists: on the wire an id is base64 of ours.
        block = base64.b64encode(_block_id(handle, part).encode()).decode()
        from urllib.parse import quote

        return f"{blob.url}?comp=block&blockid={quote(block, safe='')}&{sas}", {}

    def complete(self, handle: str, parts: int, digest: str | None, size: int | None,
                 max_size: int) -> tuple[str, int]:
        staged = self._blob(handle)
        staged.commit_block_list([_block_id(handle, n) for n in range(1, parts + 1)])
        total = int(staged.get_blob_properties().size)
        if total > max_size:
            raise PayloadTooLarge(f"blob is larger than the limit of {max_size} bytes")
        if size is not None and total != size:
            raise DigestMismatch(f"uploaded {total} bytes, expected {size}")
        h = hashlib.sha256()
        for chunk in staged.download_blob().chunks():
            h.update(chunk)
        actual = h.hexdigest()
        verify_upload(digest, actual, total, size)
        if not self.store.has(actual):
            copy_and_wait(staged, self.store.container.get_blob_client(self.store.key(actual)))
        staged.delete_blob()
        return actual, total

    def abort(self, handle: str) -> None:
        try:
            self._blob(handle).delete_blob()
        except Exception as exc:  # noqa: BLE001 - nothing committed, or gone already
            if type(exc).__name__ != "ResourceNotFoundError":
                raise
