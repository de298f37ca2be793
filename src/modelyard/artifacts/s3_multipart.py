"""Upload sessions on S3 (the multipart half of :class:`~modelyard.artifacts.s3.S3BlobStore`).

A session of several parts is a native multipart upload on ``<prefix>uploads/<upload id>``
created with the SHA-256 checksum algorithm: each part is sent with its
``x-amz-checksum-sha256`` (proxied, or bound to the part's presigned URL), which the
storage checks.  A session of one part (a small file) is a single PUT of that key.
S3's checksum of a multipart object is a checksum of the parts' checksums, not the
blob's sha256, so completing reads the assembled object back (one streamed read,
hashed as it comes) and only a match is copied to its final key, where the storage
computes the object's full SHA-256 checksum; the temporary object is removed either
way.  Handles: ``mpu/<upload id>/<S3 upload id>``
or ``put/<upload id>``; ``mpun/...`` is a multipart upload whose parts carry no
checksum (MLflow's client sends none).
"""

from __future__ import annotations

import hashlib
from typing import Any

from modelyard.artifacts.base import b64_sha256, verify_upload
from modelyard.errors import DigestMismatch, NotFound, PayloadTooLarge


COPY_ONE_CALL = 5 << 30  # S3's largest CopyObject


def error_code(exc: Exception) -> str:
    """The error code of a botocore error ("" for anything else)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


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
        if kind not in ("mpu", "put") or len(upload_id) != 32 or not upload_id.isalnum():
            raise NotFound("upload session does not exist")
        return kind, f"{self.store.sessions}{upload_id}", s3_id

    def start(self, upload_id: str, parts: int, part_checksums: bool = True) -> str:
        if parts == 1:
            return f"put/{upload_id}"
        key = f"{self.store.sessions}{upload_id}"
        extra = {"ChecksumAlgorithm": "SHA256"} if part_checksums else {}
        s3_id = self.s3.create_multipart_upload(Bucket=self.store.bucket, Key=key,
                                                **extra)["UploadId"]
        return f"{'mpu' if part_checksums else 'mpun'}/{upload_id}/{s3_id}"

    def put(self, handle: str, part: int, data: bytes, sha256: str | None) -> None:
        """A part through the server, with its checksum (which S3 checks)."""
        kind, key, s3_id = self._parse(handle)
        extra = {}
        if not handle.startswith("mpun/"):  # the parts of an "mpun" upload carry none
            extra["ChecksumSHA256"] = b64_sha256(sha256 or hashlib.sha256(data).hexdigest())
        if kind == "put":
            self.s3.put_object(Bucket=self.store.bucket, Key=key, Body=data, **extra)
        else:
            self.s3.upload_part(Bucket=self.store.bucket, Key=key, UploadId=s3_id,
                                PartNumber=part, Body=data, **extra)

    def _listed(self, key: str, s3_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            for page in self.s3.get_paginator("list_parts").paginate(
                    Bucket=self.store.bucket, Key=key, UploadId=s3_id):
                out += page.get("Parts", [])
        except Exception as exc:  # noqa: BLE001 - an upload aborted or completed
            if error_code(exc) in ("NoSuchUpload", "404"):
                return []
            raise
        return out

    def parts(self, handle: str) -> dict[int, int]:
        kind, key, s3_id = self._parse(handle)
        if kind == "mpu":
            return {int(p["PartNumber"]): int(p["Size"]) for p in self._listed(key, s3_id)}
        try:
            head = self.s3.head_object(Bucket=self.store.bucket, Key=key)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
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

    def complete(self, handle: str, parts: int, digest: str | None, size: int | None,
                 max_size: int) -> tuple[str, int]:
        kind, key, s3_id = self._parse(handle)
        bucket = self.store.bucket
        if kind == "mpu":
            listed = {int(p["PartNumber"]): p for p in self._listed(key, s3_id)}
            done = []
            for n in range(1, parts + 1):
                p = listed[n]
                item = {"PartNumber": n, "ETag": p["ETag"]}
                if p.get("ChecksumSHA256"):
                    item["ChecksumSHA256"] = p["ChecksumSHA256"]
                done.append(item)
            self.s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=s3_id,
                                              MultipartUpload={"Parts": done})
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

    def _sha256(self, key: str, size: int | None, max_size: int) -> tuple[str, int]:
        """The object's sha256 and size, from one streamed read inside the storage's
        network (its checksum, where it has one, covers the parts, not the whole); a
        wrong size is refused before a byte is read."""
        resp = self.s3.get_object(Bucket=self.store.bucket, Key=key)
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

    def abort(self, handle: str) -> None:
        kind, key, s3_id = self._parse(handle)
        if kind == "mpu":
            try:
                self.s3.abort_multipart_upload(Bucket=self.store.bucket, Key=key, UploadId=s3_id)
            except Exception as exc:  # noqa: BLE001 - completed or aborted already
                if error_code(exc) not in ("NoSuchUpload", "404"):
                    raise
        self.s3.delete_object(Bucket=self.store.bucket, Key=key)
