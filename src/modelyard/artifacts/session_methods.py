"""The upload-session methods of a blob store whose parts are objects of its own
(GCS: parts composed; Azure: staged blocks; ``object_multipart.py`` holds each
store's part handling): one way to name a session, and one translation of storage
faults into the registry's errors."""

from __future__ import annotations

from typing import Any

from modelyard.errors import DigestMismatch, InvalidParameter, NotFound, PayloadTooLarge


class ObjectPartSessions:
    """Mixed into a store that defines ``_mp()`` (its part handler) and
    ``_fault(exc, what)`` (its storage error, translated)."""

    def _mp(self) -> Any:
        raise NotImplementedError

    def _fault(self, exc: Exception, what: str) -> Exception:
        raise NotImplementedError

    def multipart_start(self, upload_id: str, parts: int, *,
                        part_checksums: bool = True) -> str:
        if len(upload_id) != 32 or not upload_id.isalnum():
            raise InvalidParameter("bad upload id")
        return upload_id

    def multipart_put(self, handle: str, part: int, data: bytes, sha256: str | None) -> None:
        try:
            self._mp().put(handle, part, data)
        except NotFound:
            raise
        except Exception as exc:  # noqa: BLE001 - storage errors are translated here
            raise self._fault(exc, "an upload part") from None

    def multipart_parts(self, handle: str) -> dict[int, int]:
        try:
            return dict(self._mp().parts(handle))
        except NotFound:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._fault(exc, "an upload session") from None

    def multipart_presign(self, handle: str, part: int, sha256: str | None,
                          size: int | None, expires_s: int) -> tuple[str, dict[str, str]] | None:
        try:
            url, headers = self._mp().presign(handle, part, expires_s)
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
        except Exception as exc:  # noqa: BLE001
            err = self._fault(exc, "an upload session")
            if isinstance(err, NotFound):
                raise InvalidParameter("a part of the upload is missing") from None
            raise err from None

    def multipart_abort(self, handle: str) -> None:
        try:
            self._mp().abort(handle)
        except NotFound:
            return
        except Exception as exc:  # noqa: BLE001
            raise self._fault(exc, "an upload session") from None
