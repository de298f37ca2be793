"""What a local folder adds to the multipart contract: parts are written in place in
one file, so every part but the last has one size; a part after completion, or for a
session that is gone, is refused and changes nothing; racing copies of one part and a
completion leave either the session or one whole, verified blob."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path

import pytest

from modelyard.artifacts.local import LocalBlobStore
from modelyard.errors import InvalidParameter, NotFound

KiB = 1 << 10


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(str(tmp_path / "blobs"))


def _put(blobs: LocalBlobStore, handle: str, n: int, data: bytes) -> None:
    blobs.multipart_put(handle, n, data, hashlib.sha256(data).hexdigest())


def test_parts_but_the_last_have_one_size(blobs: LocalBlobStore) -> None:
    handle = blobs.multipart_start(secrets.token_hex(16), 3)
    _put(blobs, handle, 3, b"c" * 10)  # the last, before the size is known: set aside
    _put(blobs, handle, 2, b"b" * 64 * KiB)
    with pytest.raises(InvalidParameter, match="one size"):
        _put(blobs, handle, 1, b"a" * 32 * KiB)
    with pytest.raises(InvalidParameter, match="may be empty"):
        _put(blobs, handle, 1, b"")
    assert blobs.multipart_parts(handle) == {2: 64 * KiB, 3: 10}
    _put(blobs, handle, 1, b"a" * 64 * KiB)
    data = b"a" * 64 * KiB + b"b" * 64 * KiB + b"c" * 10
    digest = hashlib.sha256(data).hexdigest()
    assert blobs.multipart_complete(handle, 3, digest, len(data), 1 << 30) == (digest, len(data))
    assert b"".join(blobs.read_chunks(digest)) == data
    assert os.listdir(blobs.uploads_dir) == []
    assert os.stat(blobs.blob_path(digest)).st_mode & 0o777 == 0o400


def test_a_part_after_completion_is_refused_and_the_blob_unchanged(blobs: LocalBlobStore) -> None:
    data = os.urandom(100 * KiB)
    handle = blobs.multipart_start(secrets.token_hex(16), 2)
    _put(blobs, handle, 1, data[:64 * KiB])
    _put(blobs, handle, 2, data[64 * KiB:])
    digest, _ = blobs.multipart_complete(handle, 2, None, None, 1 << 30)
    with pytest.raises(NotFound):
        _put(blobs, handle, 1, b"z" * 64 * KiB)
    with pytest.raises(NotFound):
        blobs.multipart_complete(handle, 2, None, None, 1 << 30)
    assert b"".join(blobs.read_chunks(digest)) == data


def test_a_missing_part_keeps_the_session(blobs: LocalBlobStore) -> None:
    data = os.urandom(100 * KiB)
    handle = blobs.multipart_start(secrets.token_hex(16), 2)
    _put(blobs, handle, 2, data[64 * KiB:])
    with pytest.raises(NotFound, match="missing"):
        blobs.multipart_complete(handle, 2, None, None, 1 << 30)
    _put(blobs, handle, 1, data[:64 * KiB])
    digest = hashlib.sha256(data).hexdigest()
    assert blobs.multipart_complete(handle, 2, digest, None, 1 << 30) == (digest, len(data))
    assert b"".join(blobs.read_chunks(digest)) == data


@pytest.mark.parametrize("handle", ["0" * 32, "../../etc-1", f"{'a' * 32}-0",
                                    f"{'a' * 32}-01", f"{'a' * 32}-x", f"{'a' * 31}/-1"])
def test_bad_handles_do_not_exist(blobs: LocalBlobStore, handle: str) -> None:
    for call in (lambda: _put(blobs, handle, 1, b"x"), lambda: blobs.multipart_parts(handle),
                 lambda: blobs.multipart_complete(handle, 1, None, None, 1 << 30)):
        with pytest.raises(NotFound):
            call()


def test_an_unknown_session_holds_nothing(blobs: LocalBlobStore) -> None:
    handle = f"{secrets.token_hex(16)}-2"
    assert blobs.multipart_parts(handle) == {}
    with pytest.raises(NotFound):
        _put(blobs, handle, 1, b"x")
    blobs.multipart_abort(handle)


@pytest.mark.parametrize("part", [1, 3])
def test_racing_copies_of_a_part_and_completion(blobs: LocalBlobStore, part: int) -> None:
    """Copies of one part sent at once with a completion: the blob, when there is one,
    is exactly one of the copies, whole and verified; otherwise the session stays."""
    size = 256 * KiB
    pieces = [os.urandom(size) for _ in range(3)]
    for _ in range(8):
        handle = blobs.multipart_start(secrets.token_hex(16), 3)
        for n in range(1, 4):
            _put(blobs, handle, n, pieces[n - 1])
        copies = [os.urandom(size) for _ in range(4)]
        wholes = {hashlib.sha256(b"".join(pieces[:part - 1] + [c] + pieces[part:])).hexdigest()
                  for c in [*copies, pieces[part - 1]]}
        done: list[tuple[str, int]] = []

        def send(copy: bytes) -> None:
            try:
                _put(blobs, handle, part, copy)  # noqa: B023 - joined in this loop
            except NotFound:
                pass

        def finish() -> None:
            done.append(blobs.multipart_complete(handle, 3, None, None, 1 << 30))  # noqa: B023

        threads = [threading.Thread(target=send, args=(c,)) for c in copies]
        threads.insert(2, threading.Thread(target=finish))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        [(digest, got)] = done
        assert got == 3 * size and digest in wholes
        assert hashlib.sha256(b"".join(blobs.read_chunks(digest))).hexdigest() == digest
