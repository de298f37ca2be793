"""Blobs in S3-compatible object storage: ``s3://bucket/prefix?endpoint_url=...``.

Keys are ``<prefix>/sha256/ab/cdef...``.  A blob streamed through the server is hashed
as it comes: one of up to 8 MiB is stored by one PutObject on its key once its digest
and size check out (``If-None-Match``: a stored blob is never replaced); a larger one
with a known digest streams as a multipart upload straight to its key, completed only
when the digest and size check out and aborted otherwise, so no object is ever
visible half-written; a larger one whose digest is unknown (MLflow's artifact PUT)
goes to ``<prefix>/tmp/<random>`` and is copied server-side to its key once hashed.
Upload sessions are in ``s3_multipart.py``.  Credentials come from the usual AWS
sources (environment, profile, instance role); they are never logged or put in an
error message.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlparse

from modelyard.artifacts.base import (
    b64_sha256,
    object_key,
    put_file,
    sizes_by_lookup,
    verify_upload,
)
from modelyard.artifacts.listing import missing_of, page_size_option, sizes_of
from modelyard.artifacts.s3_multipart import error_code
from modelyard.domain.validation import check_digest
from modelyard.errors import (
    DigestMismatch,
    InvalidParameter,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
)

PART = 8 << 20  # S3 needs parts of at least 5 MiB (but the last)
CHUNK = 1 << 20


def _translate(exc: Exception, what: str) -> Exception:
    code = error_code(exc)
    if code in ("404", "NoSuchKey", "NotFound"):
        return NotFound(f"blob {what} does not exist")
    return ServiceUnavailable(f"object storage error on {what}: {code or type(exc).__name__}")


class S3BlobWriter:
    """A blob streamed to S3.  Up to one part (8 MiB) it is held in memory and stored
    by one PutObject on its key once its sha256 and size check out (nothing is sent
    before); a larger one becomes a multipart upload, begun with its first part, on
    its key when the digest is announced (completed only when it checks out, aborted
    otherwise) or on a temporary key copied to its key once hashed."""

    def __init__(self, store: S3BlobStore, digest: str | None, max_size: int) -> None:
        self.store = store
        self.digest = digest
        self.max_size = max_size
        self.size = 0
        self.hash = hashlib.sha256()
        self.buf = bytearray()
        self.parts: list[dict[str, Any]] = []
        self.key = store.key(digest) if digest else f"{store.prefix}tmp/{secrets.token_hex(16)}"
        self.upload_id: str | None = None
        self.done = False
        #: After commit: whether the bytes were written (False: the blob was stored).
        self.created = False

    def _flush(self) -> None:
        s3, bucket = self.store.s3, self.store.bucket
        if self.upload_id is None:
            try:
                self.upload_id = s3.create_multipart_upload(Bucket=bucket, Key=self.key)["UploadId"]
            except Exception as exc:  # noqa: BLE001 - botocore errors are translated here
                raise _translate(exc, self.key) from None
        data, self.buf = bytes(self.buf), bytearray()
        n = len(self.parts) + 1
        resp = s3.upload_part(Bucket=bucket, Key=self.key, UploadId=self.upload_id,
                              PartNumber=n, Body=data)
        self.parts.append({"PartNumber": n, "ETag": resp["ETag"]})

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_size:
            self.abort()
            raise PayloadTooLarge(f"blob is larger than the limit of {self.max_size} bytes")
        self.hash.update(chunk)
        self.buf += chunk
        if len(self.buf) >= PART:
            self._flush()

    def commit(self, expected_size: int | None = None) -> int:
        try:
            actual = self.hash.hexdigest()
            verify_upload(self.digest, actual, self.size, expected_size)
            if self.upload_id is None:  # one part: checked, then stored under its key
                self._put_small(actual)
                return self.size
            if self.buf:
                self._flush()
            s3, bucket = self.store.s3, self.store.bucket
            s3.complete_multipart_upload(Bucket=bucket, Key=self.key, UploadId=self.upload_id,
                                         MultipartUpload={"Parts": self.parts})
            self.done = True
            self.created = True
            if self.digest is None:
                self.digest = actual
                final = self.store.key(actual)
                self.created = not self.store.has(actual)
                if self.created:
                    s3.copy({"Bucket": bucket, "Key": self.key}, bucket, final)
                s3.delete_object(Bucket=bucket, Key=self.key)
            return self.size
        except (DigestMismatch, PayloadTooLarge):
            self.abort()
            raise
        except Exception as exc:  # noqa: BLE001
            self.abort()
            raise _translate(exc, self.key) from None

    def _put_small(self, actual: str) -> None:
        """Bytes already verified: written only where no blob is (a stored one is the
        same bytes, never replaced)."""
        self.done = True
        self.digest = actual
        try:
            self.store.s3.put_object(Bucket=self.store.bucket, Key=self.store.key(actual),
                                     Body=bytes(self.buf), ChecksumSHA256=b64_sha256(actual),
                                     IfNoneMatch="*")
            self.created = True
        except Exception as exc:  # noqa: BLE001
            # 412: a blob is stored there (its bytes verified like these); anything
            # else, 409 "conditional request conflict" included, is a failure to retry.
            if error_code(exc) not in ("PreconditionFailed", "412"):
                raise

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        if self.upload_id is None:
            return
        try:
            self.store.s3.abort_multipart_upload(Bucket=self.store.bucket, Key=self.key,
                                                 UploadId=self.upload_id)
        except Exception:  # noqa: BLE001,S110 - best effort; gc sweeps stale uploads
            pass


class S3BlobStore:
    scheme = "s3"
    #: Its writer stores a small blob only where none is, and says whether it did.
    writes_once = True

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = (prefix.strip("/") + "/") if prefix.strip("/") else ""
        self.s3 = client
        self.sessions = f"{self.prefix}uploads/"
        # Keys a presence listing asks for at once (S3's most); 0: no listings.
        self.list_page_size = 1000

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """``s3://bucket/prefix?endpoint_url=...&region=...&listing=on|off``."""
        import boto3
        from botocore.config import Config

        parsed = urlparse(url)
        if not parsed.netloc:
            raise InvalidParameter("an S3 URL needs a bucket: s3://bucket/prefix")
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        unknown = set(query) - {"endpoint_url", "region", "listing"}
        if unknown:
            raise InvalidParameter(f"unknown S3 URL options: {', '.join(sorted(unknown))}")
        # A session of its own: boto3's default session is not safe to share between
        # threads creating clients (the start-up sweep runs beside serving).
        client = boto3.session.Session().client(
            "s3", endpoint_url=query.get("endpoint_url"), region_name=query.get("region"),
            config=Config(retries={"max_attempts": 5, "mode": "standard"},
                          max_pool_connections=32))
        store = cls(parsed.netloc, parsed.path, client)
        store.list_page_size = page_size_option(query)
        return store

    def key(self, digest: str) -> str:
        return object_key(self.prefix, digest)

    def _head(self, digest: str) -> dict[str, Any] | None:
        key = self.key(digest)
        try:
            head: dict[str, Any] = self.s3.head_object(Bucket=self.bucket, Key=key)
            return head
        except Exception as exc:  # noqa: BLE001
            err = _translate(exc, digest)
            if isinstance(err, NotFound):
                return None
            raise err from None

    def has(self, digest: str) -> bool:
        return self._head(digest) is not None

    def missing(self, digests: Iterable[str]) -> list[str]:
        return missing_of(digests, self.sizes)

    def sizes(self, digests: Iterable[str]) -> dict[str, int]:
        """By ordered listings where the digests are many (``listing.py``), else one
        ``HEAD`` each."""
        return sizes_of(digests, self.key, self._page if self.list_page_size else None,
                        self._sizes_by_head)

    def _sizes_by_head(self, digests: Iterable[str]) -> dict[str, int]:
        def size(d: str) -> int | None:
            head = self._head(d)
            return None if head is None else int(head["ContentLength"])
        return sizes_by_lookup(size, digests)

    def _page(self, first: str) -> tuple[list[tuple[str, int]], bool]:
        """One page of blob keys from ``first`` on (``StartAfter`` is exclusive: start
        after ``first`` less its last character, which sorts before it)."""
        try:
            resp = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=f"{self.prefix}sha256/",
                                           StartAfter=first[:-1],
                                           MaxKeys=self.list_page_size)
        except Exception as exc:  # noqa: BLE001
            raise ServiceUnavailable(
                "object storage error on the blob listing: "
                f"{error_code(exc) or type(exc).__name__}") from None
        entries = [(o["Key"], int(o["Size"])) for o in resp.get("Contents", [])]
        return entries, bool(resp.get("IsTruncated"))

    def size(self, digest: str) -> int:
        head = self._head(digest)
        if head is None:
            raise NotFound(f"blob {digest} does not exist")
        return int(head["ContentLength"])

    def writer(self, digest: str | None, max_size: int) -> S3BlobWriter:
        if digest is not None:
            check_digest(digest)
        return S3BlobWriter(self, digest, max_size)

    def put_file(self, path: str, digest: str) -> int:
        return put_file(self, path, digest)

    def open(self, digest: str) -> BinaryIO:
        key = self.key(digest)
        try:
            body: BinaryIO = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            return body
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, digest) from None

    def read_chunks(self, digest: str, start: int = 0, end: int | None = None,
                    chunk_size: int = CHUNK) -> Iterator[bytes]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": self.key(digest)}
        if start or end is not None:
            kwargs["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
        try:
            body = self.s3.get_object(**kwargs)["Body"]
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, digest) from None
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def local_path(self, digest: str) -> str | None:
        return None

    def presign_get(self, digest: str, expires_s: int) -> str | None:
        """A presigned GET of the blob's key (signed locally: no request is made)."""
        try:
            url: str = self.s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": self.key(digest)},
                ExpiresIn=expires_s)
            return url
        except Exception:  # noqa: BLE001 - no signing credentials: serve through the server
            return None

    def delete(self, digest: str) -> None:
        self.s3.delete_object(Bucket=self.bucket, Key=self.key(digest))

    def iter_blobs(self) -> Iterator[tuple[str, float]]:
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}sha256/"):
            for obj in page.get("Contents", []):
                tail = obj["Key"][len(self.prefix) + len("sha256/"):]
                digest = tail.replace("/", "")
                if len(digest) == 64:
                    yield digest, obj["LastModified"].timestamp()

    def stat(self, digest: str) -> tuple[int, float] | None:
        head = self._head(digest)
        if head is None:
            return None
        return int(head["ContentLength"]), head["LastModified"].timestamp()

    def sweep_temp(self, older_than: float, *, dry_run: bool = False) -> tuple[int, int]:
        """Multipart uploads never completed and temporary objects, last written before
        ``older_than`` (epoch seconds): count and bytes, aborted or removed unless
        ``dry_run``.  An upload is judged by its newest part, so one still receiving
        parts is in flight and kept however long ago it began."""
        files = size = 0
        try:
            for up in self._stale_uploads(older_than):
                files += 1
                size += up["Size"]
                if not dry_run:
                    self.s3.abort_multipart_upload(Bucket=self.bucket, Key=up["Key"],
                                                   UploadId=up["UploadId"])
            for page in self.s3.get_paginator("list_objects_v2").paginate(
                    Bucket=self.bucket, Prefix=f"{self.prefix}tmp/"):
                for obj in page.get("Contents", []):
                    if obj["Key"].startswith(self.sessions):
                        continue  # an upload session's: removed when the session expires
                    if obj["LastModified"].timestamp() < older_than:
                        files += 1
                        size += int(obj.get("Size", 0))
                        if not dry_run:
                            self.s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
        except Exception as exc:  # noqa: BLE001 - botocore errors are translated here
            raise _translate(exc, "partial uploads") from None
        return files, size

    def _stale_uploads(self, older_than: float) -> Iterator[dict[str, Any]]:
        paginator = self.s3.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for up in page.get("Uploads", []):
                if up["Initiated"].timestamp() >= older_than or up["Key"].startswith(self.sessions):
                    continue
                last, size = up["Initiated"].timestamp(), 0
                for parts in self.s3.get_paginator("list_parts").paginate(
                        Bucket=self.bucket, Key=up["Key"], UploadId=up["UploadId"]):
                    for part in parts.get("Parts", []):
                        last = max(last, part["LastModified"].timestamp())
                        size += int(part.get("Size", 0))
                if last < older_than:
                    yield {"Key": up["Key"], "UploadId": up["UploadId"], "Size": size}

    # -- multipart (upload sessions): see ``s3_multipart.py`` --------------------------
    def _mp(self) -> Any:
        from modelyard.artifacts.s3_multipart import S3Multipart

        return S3Multipart(self)

    def multipart_start(self, upload_id: str, parts: int, *,
                        part_checksums: bool = True) -> str:
        try:
            return str(self._mp().start(upload_id, parts, part_checksums))
        except Exception as exc:  # noqa: BLE001 - botocore errors are translated here
            raise _translate(exc, "an upload session") from None

    def multipart_put(self, handle: str, part: int, data: bytes, sha256: str | None) -> None:
        try:
            self._mp().put(handle, part, data, sha256)
        except NotFound:
            raise
        except Exception as exc:  # noqa: BLE001
            err = _translate(exc, "an upload part")
            if isinstance(err, NotFound):
                raise NotFound("upload session does not exist") from None
            raise err from None

    def multipart_parts(self, handle: str) -> dict[int, int]:
        try:
            return dict(self._mp().parts(handle))
        except NotFound:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "an upload session") from None

    def multipart_presign(self, handle: str, part: int, sha256: str | None,
                          size: int | None, expires_s: int) -> tuple[str, dict[str, str]] | None:
        try:
            url, headers = self._mp().presign(handle, part, sha256, expires_s)
        except NotFound:
            raise
        except Exception:  # noqa: BLE001 - no signing credentials: the server proxies
            return None
        return str(url), dict(headers)

    def multipart_complete(self, handle: str, parts: int, digest: str | None,
                           size: int | None, max_size: int) -> tuple[str, int]:
        try:
            d, n = self._mp().complete(handle, parts, digest, size, max_size)
            return str(d), int(n)
        except (DigestMismatch, PayloadTooLarge, NotFound):
            raise
        except KeyError:
            raise InvalidParameter("a part of the upload is missing") from None
        except Exception as exc:  # noqa: BLE001
            code = error_code(exc)
            if code == "EntityTooSmall":  # the client's fault: 400, not a retry
                raise InvalidParameter("every part of an upload but the last needs at least "
                                       "5 MiB (the storage's minimum)") from None
            if code in ("InvalidPart", "InvalidPartOrder"):
                raise InvalidParameter("a part of the upload is missing or was replaced "
                                       "meanwhile; send it again") from None
            raise _translate(exc, "an upload session") from None

    def multipart_abort(self, handle: str) -> None:
        try:
            self._mp().abort(handle)
        except NotFound:
            return
        except Exception as exc:  # noqa: BLE001
            raise _translate(exc, "an upload session") from None
