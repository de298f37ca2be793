"""The multipart half of the blob store conformance suite (upload sessions): every
store assembles parts sent in any order, verifies the whole sha256 before the blob is
visible, learns an unknown digest from the bytes, lists the parts it holds (resume),
forgets an aborted upload, and keeps session parts out of ``sweep_temp``."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from typing import Any

import pytest

from modelyard.errors import DigestMismatch

MiB = 1 << 20
PART = 5 * MiB


def _pieces(data: bytes) -> list[bytes]:
    return [data[i:i + PART] for i in range(0, len(data), PART)]


def _send(blobs: Any, data: bytes, order: list[int] | None = None) -> str:
    pieces = _pieces(data)
    handle = blobs.multipart_start(secrets.token_hex(16), len(pieces))
    for n in order or range(1, len(pieces) + 1):
        piece = pieces[n - 1]
        blobs.multipart_put(handle, n, piece, hashlib.sha256(piece).hexdigest())
    return str(handle)


class MultipartContract:
    def test_parts_out_of_order_assemble_and_verify(self, blobs: Any) -> None:
        data = os.urandom(2 * PART + 1234)
        digest = hashlib.sha256(data).hexdigest()
        handle = _send(blobs, data, [3, 1, 2])
        assert blobs.multipart_parts(handle) == {1: PART, 2: PART, 3: 1234}
        assert not blobs.has(digest)
        assert blobs.multipart_complete(handle, 3, digest, len(data), 1 << 30) == (digest, len(data))
        assert b"".join(blobs.read_chunks(digest)) == data
        blobs.multipart_abort(handle)  # harmless after completion
        assert [d for d, _ in blobs.iter_blobs()] == [digest]

    def test_wrong_whole_is_refused_and_nothing_visible(self, blobs: Any) -> None:
        data = os.urandom(PART + 10)
        claimed = hashlib.sha256(b"something else").hexdigest()
        handle = _send(blobs, data)
        with pytest.raises(DigestMismatch):
            blobs.multipart_complete(handle, 2, claimed, len(data), 1 << 30)
        blobs.multipart_abort(handle)
        assert not blobs.has(claimed) and not blobs.has(hashlib.sha256(data).hexdigest())
        assert list(blobs.iter_blobs()) == []

    def test_unknown_digest_and_one_part(self, blobs: Any) -> None:
        data = os.urandom(3000)
        handle = _send(blobs, data)
        digest, size = blobs.multipart_complete(handle, 1, None, None, 1 << 30)
        assert (digest, size) == (hashlib.sha256(data).hexdigest(), 3000)
        assert b"".join(blobs.read_chunks(digest)) == data

    def test_abort_and_sweep(self, blobs: Any) -> None:
        data = os.urandom(PART + 10)
        handle = _send(blobs, data, [1])
        # Session parts are not partial uploads: the session's expiry removes them.
        assert blobs.sweep_temp(time.time() + 60) == (0, 0)
        assert blobs.multipart_parts(handle) == {1: PART}
        blobs.multipart_abort(handle)
        assert blobs.multipart_parts(handle) == {}
        blobs.multipart_abort(handle)  # idempotent

    def test_presigned_part_and_proxied_part_assemble(self, blobs: Any) -> None:
        """A part PUT to the store's presigned URL (with the headers it names) and a part
        sent through the server make one blob."""
        import httpx

        data = os.urandom(PART + 4321)
        first, second = _pieces(data)
        handle = blobs.multipart_start(secrets.token_hex(16), 2)
        signed = blobs.multipart_presign(handle, 1, hashlib.sha256(first).hexdigest(),
                                         len(first), 60)
        if signed is None:
            blobs.multipart_abort(handle)
            pytest.skip("this store hands out no presigned part URLs (parts go through the "
                        "server)")
        url, headers = signed
        assert httpx.put(url, content=first, headers=headers, timeout=60).status_code < 300
        blobs.multipart_put(handle, 2, second, hashlib.sha256(second).hexdigest())
        assert blobs.multipart_parts(handle) == {1: len(first), 2: len(second)}
        digest = hashlib.sha256(data).hexdigest()
        assert blobs.multipart_complete(handle, 2, digest, len(data), 1 << 30) == (digest, len(data))
        assert b"".join(blobs.read_chunks(digest)) == data

    def test_part_sent_again_replaces_it_whole(self, blobs: Any) -> None:
        """A part sent twice (a retry) holds the second copy, and a last part sent again
        shorter leaves nothing of the first copy behind."""
        data = os.urandom(PART + 3000)
        first, second = _pieces(data)
        handle = blobs.multipart_start(secrets.token_hex(16), 2)
        junk = os.urandom(len(first))
        blobs.multipart_put(handle, 2, second + b"x" * 500, hashlib.sha256(second).hexdigest())
        blobs.multipart_put(handle, 1, junk, hashlib.sha256(junk).hexdigest())
        blobs.multipart_put(handle, 1, first, hashlib.sha256(first).hexdigest())
        blobs.multipart_put(handle, 2, second, hashlib.sha256(second).hexdigest())
        assert blobs.multipart_parts(handle) == {1: len(first), 2: len(second)}
        digest = hashlib.sha256(data).hexdigest()
        assert blobs.multipart_complete(handle, 2, digest, len(data), 1 << 30) == (digest, len(data))
        assert b"".join(blobs.read_chunks(digest)) == data
