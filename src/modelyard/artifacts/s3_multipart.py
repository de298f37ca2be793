"""Upload sessions on S3 (the multipart half of :class:`~modelyard.artifacts.s3.S3BlobStore`).

A session of several parts whose blob's sha256 is announced is a native multipart
upload on the blob's own key, created with the SHA-256 checksum algorithm: each part
is sent with its ``x-amz-checksum-sha256`` (proxied, or bound to the part's presigned
URL), which the storage checks.  Completing it is a conditional write
(``If-None-Match: *``): it creates the key only when nothing is stored there, so it
never replaces a stored blob.  S3's checksum of a multipart object is a checksum of
the parts' checksums, not the blob's sha256, so the completed object is read back (one
streamed read, hashed as it comes); wrong bytes are removed at once (``If-Match`` the
ETag read, so only the bytes read are removed).  Until that read has passed, the
domain counts the digest as absent (``domain/uploads.py`` marks the session
verifying), so no version can be committed on bytes not verified, and no copy of the
blob is made.  When the key holds a blob already (another session's), that blob is
verified instead and the parts are dropped.

Sessions whose digest is known only at the end (MLflow's client: ``mpun/``, parts
without a checksum) and single-part sessions (``put/``, a small file the client PUTs
itself, whose bytes could land before any check) go to ``<prefix>uploads/<upload id>``
and are copied to their key once verified; the temporary object is removed either way.
Handles: ``mpuk/<upload id>/<sha256>/<S3 upload id>`` (in place),
``mpu/<upload id>/<S3 upload id>``, ``mpun/...`` or ``put/<upload id>``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from modelyard.artifacts.base import b64_sha256, verify_upload
from modelyard.errors import DigestMismatch, NotFound, PayloadTooLarge


COPY_ONE_CALL = 5 << 30  # S3's largest CopyObject


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _hashed(resp: dict[str, Any], size: int | None, max_size: int) -> tuple[str, int]:
    """The sha256 and size of a GetObject answer's body, hashed as it streams; a
    wrong size is refused before a byte is read."""
    body, actual_size = resp["Body"], int(resp["ContentLength"])
    h = hashlib.sha256()
    try:
        if actual_size > max_size:
            raise PayloadTooLarge(f"blob is larger than the limit of {max_size} bytes")
        if size is not None and actual_size != size:
            raise DigestMismatch(f"uploaded {actual_size} bytes, expected {size}")
        for chunk in body.iter_chunks(4 << 20):
            h.update(chunk)
    finally:
        body.close()
    return h.hexdigest(), actual_size


class S3Multipart:
    def __init__(self, store: Any) -> None:  # an S3BlobStore
        self.store = store

    @property
    def s3(self) -> Any:
        return self.store.s3

    def _parse(self, handle: str) -> tuple[str, str, str]:
        kind, _, rest = handle.partition("/")
        upload_id, _, s3_id = rest.partition("/")
        if kind == "mpun":  # a multipart upload whose parts carry no checksum
            kind = "mpu"
        if kind not in ("mpu", "put", "mpuk") or len(upload_id) != 32 or not upload_id.isalnum():
            raise NotFound("upload session does not exist")
        if kind == "mpuk":  # in place: the blob's own key
            digest, _, s3_id = s3_id.partition("/")
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise NotFound("upload session does not exist")
            return kind, self.store.key(digest), s3_id
        return kind, f"{self.store.sessions}{upload_id}", s3_id

    def start(self, upload_id: str, parts: int, part_checksums: bool = True,
              digest: str | None = None) -> str:
        if parts == 1:
            return f"put/{upload_id}"
        if digest is not None and part_checksums:
            # Only session uploads use SHA256 (the blob writer's use none): sweep_temp
            # tells them apart by it and leaves them to their session's expiry.
            s3_id = self.s3.create_multipart_upload(
                Bucket=self.store.bucket, Key=self.store.key(digest),
                ChecksumAlgorithm="SHA256")["UploadId"]
            return f"mpuk/{upload_id}/{digest}/{s3_id}"
        key = f"{self.store.sessions}{upload_id}"
        extra = {"ChecksumAlgorithm": "SHA256"} if part_checksums else {}
        s3_id = self.s3.create_multipart_upload(Bucket=self.store.bucket, Key=key,
                                                **extra)["UploadId"]
        return f"{'mpu' if part_checksums else 'mpun'}/{upload_id}/{s3_id}"

    def put(self, handle: str, part: int, data: bytes, sha256: str) -> None:
        """A part through the server, with its checksum (which S3 checks)."""
        kind, key, s3_id = self._parse(handle)
        if kind == "put":
            self.s3.put_object(Bucket=self.store.bucket, Key=key, Body=data,
                               ChecksumSHA256=b64_sha256(sha256))
        else:
            extra = {} if handle.startswith("mpun/") else {"ChecksumSHA256": b64_sha256(sha256)}
            self.s3.upload_part(Bucket=self.store.bucket, Key=key, UploadId=s3_id,
                                PartNumber=part, Body=data, **extra)

    def _listed(self, key: str, s3_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            for page in self.s3.get_paginator("list_parts").paginate(
                    Bucket=self.store.bucket, Key=key, UploadId=s3_id):
                out += page.get("Parts", [])
        except Exception as exc:  # noqa: BLE001 - an upload aborted or completed
            if _code(exc) in ("NoSuchUpload", "404"):
                return []
            raise
        return out

    def parts(self, handle: str) -> dict[int, int]:
        kind, key, s3_id = self._parse(handle)
        if kind in ("mpu", "mpuk"):
            return {int(p["PartNumber"]): int(p["Size"]) for p in self._listed(key, s3_id)}
        try:
            head = self.s3.head_object(Bucket=self.store.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return {}
            raise
        return {1: int(head["ContentLength"])}

    def presign(self, handle: str, part: int, sha256: str | None,
                expires_s: int) -> tuple[str, dict[str, str]]:
        kind, key, s3_id = self._parse(handle)
        params: dict[str, Any] = {"Bucket": self.store.bucket, "Key": key}
        headers: dict[str, str] = {}
        if sha256 is not None:
            params["ChecksumSHA256"] = headers["x-amz-checksum-sha256"] = b64_sha256(sha256)
        if kind == "put":
            url = self.s3.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_s)
        else:
            params.update(UploadId=s3_id, PartNumber=part)
            url = self.s3.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_s)
        return str(url), headers

    def _part_list(self, key: str, s3_id: str, parts: int) -> list[dict[str, Any]]:
        listed = {int(p["PartNumber"]): p for p in self._listed(key, s3_id)}
        done = []
        for n in range(1, parts + 1):
            p = listed[n]  # KeyError: a part is missing
            item = {"PartNumber": n, "ETag": p["ETag"]}
            if p.get("ChecksumSHA256"):
                item["ChecksumSHA256"] = p["ChecksumSHA256"]
            done.append(item)
        return done

    def complete(self, handle: str, parts: int, digest: str | None, size: int | None,
                 max_size: int) -> tuple[str, int]:
        kind, key, s3_id = self._parse(handle)
        bucket = self.store.bucket
        if kind == "mpuk":
            return self._complete_in_place(key, s3_id, parts, digest, size, max_size)
        if kind == "mpu":
            self.s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=s3_id,
                                              MultipartUpload={"Parts": self._part_list(
                                                  key, s3_id, parts)})
        try:
            actual, actual_size = self._sha256(key, size, max_size)
            verify_upload(digest, actual, actual_size, size)
            # The final object gets a full-object SHA-256 computed by the storage.
            source = {"Bucket": bucket, "Key": key}
            if actual_size < COPY_ONE_CALL:
                self.s3.copy_object(CopySource=source, Bucket=bucket, Key=self.store.key(actual),
                                    ChecksumAlgorithm="SHA256")
            else:  # the managed copy: a multipart copy past S3's 5 GiB limit
                self.s3.copy(source, bucket, self.store.key(actual),
                             ExtraArgs={"ChecksumAlgorithm": "SHA256"})
        finally:
            self.s3.delete_object(Bucket=bucket, Key=key)
        return actual, actual_size

    def _complete_in_place(self, key: str, s3_id: str, parts: int, digest: str | None,
                           size: int | None, max_size: int) -> tuple[str, int]:
        """Complete on the blob's own key if nothing is there, then verify what the key
        holds; wrong bytes are removed.  When the key held another's wrong bytes, ours
        take their place (once)."""
        for attempt in (1, 2):
            outcome = self._complete_if_absent(key, s3_id, parts)
            try:
                actual, actual_size = self._verify_key(key, digest, size, max_size)
            except DigestMismatch:
                if outcome != "taken" or attempt == 2:
                    raise
                continue  # another's wrong bytes are gone: put ours in their place
            if outcome == "taken":  # the blob was stored already: our parts are not needed
                self._abort_upload(key, s3_id)
            return actual, actual_size
        raise AssertionError("unreachable")

    def _complete_if_absent(self, key: str, s3_id: str, parts: int) -> str:
        """``created`` (our parts are the key's object now), ``taken`` (the key holds an
        object already) or ``done`` (completed by an earlier attempt)."""
        try:
            done = self._part_list(key, s3_id, parts)
        except KeyError:
            if not self._listed(key, s3_id) and self._upload_gone(key, s3_id):
                return "done"
            raise
        try:
            self.s3.complete_multipart_upload(Bucket=self.store.bucket, Key=key, UploadId=s3_id,
                                              MultipartUpload={"Parts": done}, IfNoneMatch="*")
        except Exception as exc:  # noqa: BLE001
            code = _code(exc)
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return "taken"
            if code in ("NoSuchUpload", "404"):
                return "done"
            raise
        return "created"

    def _upload_gone(self, key: str, s3_id: str) -> bool:
        try:
            self.s3.list_parts(Bucket=self.store.bucket, Key=key, UploadId=s3_id, MaxParts=1)
        except Exception as exc:  # noqa: BLE001
            if _code(exc) in ("NoSuchUpload", "404"):
                return True
            raise
        return False

    def _verify_key(self, key: str, digest: str | None, size: int | None,
                    max_size: int) -> tuple[str, int]:
        resp = self.s3.get_object(Bucket=self.store.bucket, Key=key)
        try:
            actual, actual_size = _hashed(resp, size, max_size)
            verify_upload(digest, actual, actual_size, size)
        except (DigestMismatch, PayloadTooLarge):
            self._remove(key, resp.get("ETag"))
            raise
        return actual, actual_size

    def _remove(self, key: str, etag: str | None) -> None:
        """Remove the key's wrong bytes: only the object read (``If-Match``)."""
        extra = {"IfMatch": etag} if etag else {}
        try:
            self.s3.delete_object(Bucket=self.store.bucket, Key=key, **extra)
        except Exception as exc:  # noqa: BLE001 - replaced meanwhile: not ours to remove
            if _code(exc) not in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                raise

    def _abort_upload(self, key: str, s3_id: str) -> None:
        try:
            self.s3.abort_multipart_upload(Bucket=self.store.bucket, Key=key, UploadId=s3_id)
        except Exception as exc:  # noqa: BLE001 - completed or aborted already
            if _code(exc) not in ("NoSuchUpload", "404"):
                raise

    def _sha256(self, key: str, size: int | None, max_size: int) -> tuple[str, int]:
        """The object's sha256 and size, from one streamed read inside the storage's
        network (its checksum, where it has one, covers the parts, not the whole)."""
        return _hashed(self.s3.get_object(Bucket=self.store.bucket, Key=key), size, max_size)

    def abort(self, handle: str) -> None:
        kind, key, s3_id = self._parse(handle)
        if kind in ("mpu", "mpuk"):
            self._abort_upload(key, s3_id)
        if kind != "mpuk":  # the blob's own key is never removed by an abort
            self.s3.delete_object(Bucket=self.store.bucket, Key=key)
