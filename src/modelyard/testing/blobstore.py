"""The behaviour every BlobStore must have.  Subclass :class:`BlobStoreContract` in a
test module and provide a ``blobs`` fixture returning a fresh, empty store."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

import pytest

from modelyard.errors import DigestMismatch, InvalidParameter, NotFound, PayloadTooLarge


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _put(blobs: Any, data: bytes, digest: str | None = None, max_size: int = 1 << 40) -> int:
    w = blobs.writer(digest if digest is not None else _digest(data), max_size)
    for i in range(0, len(data), 1 << 20):
        w.write(data[i:i + (1 << 20)])
    return int(w.commit(len(data)))


class BlobStoreContract:
    def test_put_has_size_read(self, blobs: Any) -> None:
        data = os.urandom(3 * 1024 * 1024 + 17)
        d = _digest(data)
        assert not blobs.has(d) and blobs.missing([d, d]) == [d]
        assert _put(blobs, data) == len(data)
        assert blobs.has(d) and blobs.missing([d]) == [] and blobs.size(d) == len(data)
        other = _digest(b"never stored")
        assert blobs.sizes([d, other, d]) == {d: len(data)}
        assert b"".join(blobs.read_chunks(d)) == data
        assert b"".join(blobs.read_chunks(d, 10, 20)) == data[10:20]
        with blobs.open(d) as fh:
            assert fh.read() == data

    @pytest.mark.parametrize("page", [1000, 7, 80])
    def test_sizes_and_missing_of_many(self, blobs: Any, page: int) -> None:
        """Many digests at once (where a store lists its keys in order instead of
        asking about each: pages that settle all, too few, and enough wanted keys).
        The first wanted key is a stored one, so a listing that starts past it fails."""
        if hasattr(blobs, "list_page_size"):
            blobs.list_page_size = page
        elif page != 1000:
            pytest.skip("this store asks about each blob")
        held = sorted((os.urandom(100 + i) for i in range(120)), key=_digest)
        for data in held:
            _put(blobs, data)
        first = _digest(held[0])
        absent = [d for d in (_digest(b"absent %d" % i) for i in range(100)) if d > first]
        wanted = [_digest(d) for d in held[::2]] + absent
        sizes = blobs.sizes(wanted + wanted[:3])
        assert sizes == {_digest(d): len(d) for d in held[::2]}
        assert blobs.missing(list(reversed(wanted))) == list(reversed(absent))
        assert blobs.sizes(absent) == {} and blobs.missing([]) == []

    def test_large_multi_part_upload(self, blobs: Any) -> None:
        data = os.urandom(20 * 1024 * 1024 + 5)
        assert _put(blobs, data) == len(data)
        assert _digest(b"".join(blobs.read_chunks(_digest(data)))) == _digest(data)

    def test_digest_mismatch_leaves_nothing(self, blobs: Any) -> None:
        wrong = _digest(b"something else")
        with pytest.raises(DigestMismatch):
            _put(blobs, b"data", wrong)
        assert not blobs.has(wrong)
        assert list(blobs.iter_blobs()) == []

    def test_size_mismatch_and_limit(self, blobs: Any) -> None:
        data = b"x" * 1000
        w = blobs.writer(_digest(data), 1 << 20)
        w.write(data)
        with pytest.raises(DigestMismatch):
            w.commit(999)
        assert not blobs.has(_digest(data))
        w = blobs.writer(_digest(data), 10)
        with pytest.raises(PayloadTooLarge):
            w.write(data)
        assert not blobs.has(_digest(data))

    def test_abort_leaves_nothing(self, blobs: Any) -> None:
        data = os.urandom(1000)
        w = blobs.writer(_digest(data), 1 << 20)
        w.write(data[:500])
        w.abort()
        assert not blobs.has(_digest(data)) and list(blobs.iter_blobs()) == []

    def test_unknown_digest_upload(self, blobs: Any) -> None:
        data = os.urandom(2048)
        w = blobs.writer(None, 1 << 20)
        w.write(data)
        w.commit()
        assert w.digest == _digest(data) and blobs.has(w.digest)
        assert [d for d, _ in blobs.iter_blobs()] == [w.digest]

    def test_large_upload_of_unknown_digest(self, blobs: Any) -> None:
        data = os.urandom(17 * 1024 * 1024 + 3)
        w = blobs.writer(None, 1 << 30)
        for i in range(0, len(data), 1 << 20):
            w.write(data[i:i + (1 << 20)])
        assert w.commit() == len(data) and w.digest == _digest(data)
        assert _digest(b"".join(blobs.read_chunks(w.digest))) == w.digest
        assert [d for d, _ in blobs.iter_blobs()] == [w.digest]
        assert blobs.sweep_temp(time.time() + 60) == (0, 0)  # nothing left behind

    def test_retry_is_harmless(self, blobs: Any) -> None:
        data = b"same bytes"
        _put(blobs, data)
        _put(blobs, data)
        assert [d for d, _ in blobs.iter_blobs()] == [_digest(data)]

    def test_missing_blob_errors(self, blobs: Any) -> None:
        d = _digest(b"absent")
        with pytest.raises(NotFound):
            blobs.size(d)
        with pytest.raises(NotFound):
            b"".join(blobs.read_chunks(d))
        with pytest.raises(InvalidParameter):
            blobs.has("../../etc/passwd")

    def test_delete_iter_and_sweep(self, blobs: Any, tmp_path: Any) -> None:
        src = tmp_path / "f.bin"
        src.write_bytes(b"file content")
        d = _digest(b"file content")
        assert blobs.put_file(str(src), d) == 12
        listed = dict(blobs.iter_blobs())
        assert set(listed) == {d} and abs(listed[d] - time.time()) < 3600
        blobs.delete(d)
        assert not blobs.has(d)

    def test_sweep_keeps_uploads_in_flight_and_reports_stale_ones(self, blobs: Any) -> None:
        # Enough bytes that an S3 store has sent a part (parts are 8 MiB): an upload is
        # judged by its last write, not by when it began.
        w = blobs.writer(None, 1 << 30)
        for _ in range(9):
            w.write(b"p" * (1 << 20))
        assert blobs.sweep_temp(time.time() - 60) == (0, 0)  # written to just now
        later = time.time() + 60
        files, size = blobs.sweep_temp(later, dry_run=True)
        assert files == 1 and size >= 8 << 20
        assert blobs.sweep_temp(later, dry_run=True) == (files, size)  # removed nothing
        assert blobs.sweep_temp(later) == (files, size)
        assert blobs.sweep_temp(later) == (0, 0)

    def test_presigned_get(self, blobs: Any) -> None:
        """A store either hands out no URL (the server serves the bytes) or one that
        serves exactly the blob, whole or by Range, with no credential of the caller."""
        import httpx

        data = os.urandom(100_000)
        d = _digest(data)
        _put(blobs, data)
        url = blobs.presign_get(d, 60)
        if url is None:
            return
        with httpx.Client(timeout=30) as http:
            whole = http.get(url)
            assert whole.status_code == 200 and whole.content == data
            part = http.get(url, headers={"Range": "bytes=10-19"})
            assert part.status_code == 206 and part.content == data[10:20]
