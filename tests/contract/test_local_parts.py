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

from modelyard.artifacts import running_hash
from modelyard.artifacts.local import LocalBlobStore
from modelyard.errors import InsufficientStorage, InvalidParameter, NotFound

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


def test_a_last_part_sent_again_shorter_leaves_no_tail(blobs: LocalBlobStore) -> None:
    """Written in place both times (the size is known): the file is cut to the parts'
    length at completion."""
    first, last = os.urandom(64 * KiB), os.urandom(10)
    handle = blobs.multipart_start(secrets.token_hex(16), 2)
    _put(blobs, handle, 1, first)
    _put(blobs, handle, 2, os.urandom(500))
    _put(blobs, handle, 2, last)
    digest, size = blobs.multipart_complete(handle, 2, None, None, 1 << 30)
    assert size == len(first) + 10 and digest == hashlib.sha256(first + last).hexdigest()
    assert blobs.size(digest) == size


def test_a_part_cut_off_half_way_is_missing(blobs: LocalBlobStore,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fails half-way through a part sent again: the part is missing (not
    held with half its bytes), and sending it again completes the upload."""
    data = os.urandom(100 * KiB)
    handle = blobs.multipart_start(secrets.token_hex(16), 2)
    _put(blobs, handle, 1, data[:64 * KiB])
    _put(blobs, handle, 2, data[64 * KiB:])
    real = os.pwrite

    def half_then_fail(fd: int, buf: bytes, offset: int) -> int:
        real(fd, memoryview(buf)[:len(buf) // 2], offset)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", half_then_fail)
    with pytest.raises(InsufficientStorage):
        _put(blobs, handle, 1, os.urandom(64 * KiB))
    monkeypatch.undo()
    assert blobs.multipart_parts(handle) == {2: len(data) - 64 * KiB}
    _put(blobs, handle, 1, data[:64 * KiB])
    digest = hashlib.sha256(data).hexdigest()
    assert blobs.multipart_complete(handle, 2, digest, None, 1 << 30) == (digest, len(data))


def test_an_abort_racing_parts_and_completion(blobs: LocalBlobStore) -> None:
    """An abort while parts arrive and the upload completes: every call either works
    or says the session does not exist; a blob, if one is made, is whole; nothing is
    left of the session."""
    size = 256 * KiB
    pieces = [os.urandom(size) for _ in range(3)]
    data = b"".join(pieces)
    for i in range(12):
        handle = blobs.multipart_start(secrets.token_hex(16), 3)
        for n in (1, 3):
            _put(blobs, handle, n, pieces[n - 1])
        _put(blobs, handle, 2, pieces[1])
        errors: list[BaseException] = []

        def attempt(call: object) -> None:
            try:
                call()  # type: ignore[operator]
            except NotFound:
                pass
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)  # noqa: B023 - joined in this loop

        calls = [lambda: _put(blobs, handle, 2, pieces[1]),  # noqa: B023
                 lambda: blobs.multipart_complete(handle, 3, None, None, 1 << 30),  # noqa: B023
                 lambda: blobs.multipart_abort(handle),  # noqa: B023
                 lambda: _put(blobs, handle, 3, pieces[2])]  # noqa: B023
        calls.insert(i % 4, calls.pop(2))  # the abort at each place in turn
        threads = [threading.Thread(target=attempt, args=(c,)) for c in calls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert blobs.multipart_parts(handle) == {}
        assert os.listdir(blobs.uploads_dir) == []
        for digest, _ in blobs.iter_blobs():
            assert digest == hashlib.sha256(data).hexdigest()
            assert b"".join(blobs.read_chunks(digest)) == data


def test_a_session_of_the_old_layout_can_be_removed(blobs: LocalBlobStore) -> None:
    old = secrets.token_hex(16)
    (blobs.uploads_dir / old).mkdir()
    (blobs.uploads_dir / old / "00001.part").write_bytes(b"x")
    with pytest.raises(NotFound):
        blobs.multipart_parts(old)
    with pytest.raises(NotFound):
        _put(blobs, old, 1, b"x")
    blobs.multipart_abort(old)
    assert os.listdir(blobs.uploads_dir) == []


def test_a_removal_cut_short_is_finished_by_the_sweep(blobs: LocalBlobStore) -> None:
    trash = blobs.uploads_dir / ".trash-0123456789abcdef"
    trash.mkdir()
    (trash / "data").write_bytes(b"y" * 100)
    assert blobs.sweep_temp(0, dry_run=True) == (1, 100)
    assert trash.exists()
    assert blobs.sweep_temp(0) == (1, 100)
    assert not trash.exists()


@pytest.mark.parametrize("handle", ["../../etc-1", f"{'a' * 32}-10001", f"{'a' * 32}-0",
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


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The bytes each ``os.preadv`` returns from now on."""
    counted: list[int] = []
    real = os.preadv

    def preadv(fd: int, buffers: list[memoryview], offset: int) -> int:
        n = real(fd, buffers, offset)
        counted.append(n)
        return n

    monkeypatch.setattr(os, "preadv", preadv)
    return counted


def test_completion_reads_only_what_was_not_hashed_as_parts_landed(
        blobs: LocalBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts hashed in order as they land (out of order too): completion reads the
    last part alone, and the digest is the whole file's."""
    pieces = [os.urandom(64 * KiB) for _ in range(4)] + [os.urandom(10)]
    handle = blobs.multipart_start(secrets.token_hex(16), 5)
    for n in (2, 5, 1, 4, 3):
        _put(blobs, handle, n, pieces[n - 1])
    reads = _count_reads(monkeypatch)
    digest = hashlib.sha256(b"".join(pieces)).hexdigest()
    assert blobs.multipart_complete(handle, 5, digest, None, 1 << 30) == (digest, 4 * 64 * KiB + 10)
    assert sum(reads) == 10
    assert b"".join(blobs.read_chunks(digest)) == b"".join(pieces)


@pytest.mark.parametrize("other_server", [False, True])
def test_a_part_sent_again_after_it_was_hashed(blobs: LocalBlobStore, tmp_path: Path,
                                               other_server: bool) -> None:
    """A part written again, by this server or by another one on the same folder,
    after this one hashed it: the blob is the new bytes, under their digest."""
    pieces = [os.urandom(64 * KiB) for _ in range(3)]
    handle = blobs.multipart_start(secrets.token_hex(16), 3)
    for n in (1, 2, 3):
        _put(blobs, handle, n, pieces[n - 1])
    again = os.urandom(64 * KiB)
    writer = LocalBlobStore(str(tmp_path / "blobs")) if other_server else blobs
    _put(writer, handle, 1, again)
    data = again + pieces[1] + pieces[2]
    digest, size = blobs.multipart_complete(handle, 3, None, None, 1 << 30)
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert b"".join(blobs.read_chunks(digest)) == data


def test_parts_sent_at_once_in_any_order(blobs: LocalBlobStore) -> None:
    """Sixteen parts from four threads in a shuffled order, some twice with other
    bytes first: each blob is exactly the last bytes of every part."""
    size = 64 * KiB
    for round_ in range(6):
        pieces = [os.urandom(size) for _ in range(15)] + [os.urandom(size // 3)]
        order = [(n, pieces[n - 1]) for n in range(1, 17)]
        secrets.SystemRandom().shuffle(order)
        first = [(n, os.urandom(len(p))) for n, p in order[:4]]  # overwritten below
        handle = blobs.multipart_start(secrets.token_hex(16), 16)
        for n, wrong in first:
            _put(blobs, handle, n, wrong)
        queue = list(reversed(order))
        lock = threading.Lock()

        def send() -> None:
            while True:
                with lock:  # noqa: B023 - joined in this loop
                    if not queue:  # noqa: B023
                        return
                    n, piece = queue.pop()  # noqa: B023
                _put(blobs, handle, n, piece)  # noqa: B023

        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        data = b"".join(pieces)
        digest = hashlib.sha256(data).hexdigest()
        assert blobs.multipart_complete(handle, 16, None, None, 1 << 30) == (digest, len(data)), \
            f"round {round_}"
        assert b"".join(blobs.read_chunks(digest)) == data


def test_a_session_pushed_out_of_the_table_is_not_hashed_again_by_each_part(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More sessions at once than one process follows: a session pushed out is hashed
    at completion, not again from its start by every part that comes after."""
    monkeypatch.setattr(running_hash, "LIMIT", 2)
    blobs = LocalBlobStore(str(tmp_path / "blobs"))
    sessions = [(blobs.multipart_start(secrets.token_hex(16), 9),
                 [os.urandom(16 * KiB) for _ in range(9)]) for _ in range(4)]
    reads = _count_reads(monkeypatch)
    for n in range(1, 10):  # part n of every session in turn
        for handle, pieces in sessions:
            _put(blobs, handle, n, pieces[n - 1])
    assert sum(reads) <= 4 * 9 * 16 * KiB  # each byte hashed once at most
    for handle, pieces in sessions:
        data = b"".join(pieces)
        assert blobs.multipart_complete(handle, 9, None, None, 1 << 30)[0] == \
            hashlib.sha256(data).hexdigest()


def test_a_part_that_fills_the_first_gap_hashes_a_bounded_amount(
        blobs: LocalBlobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Part 1 sent last: its writer hashes its own part and a bounded amount of the
    others; completion hashes the rest, and the digest is the whole file's."""
    monkeypatch.setattr(running_hash, "BUDGET", 2 * 64 * KiB)
    blobs = LocalBlobStore(str(blobs.root))
    pieces = [os.urandom(64 * KiB) for _ in range(8)]
    handle = blobs.multipart_start(secrets.token_hex(16), 8)
    for n in range(8, 1, -1):
        _put(blobs, handle, n, pieces[n - 1])
    reads = _count_reads(monkeypatch)
    _put(blobs, handle, 1, pieces[0])
    assert sum(reads) == 3 * 64 * KiB  # its own part and two more
    reads.clear()
    digest = hashlib.sha256(b"".join(pieces)).hexdigest()
    assert blobs.multipart_complete(handle, 8, digest, None, 1 << 30)[0] == digest
    assert sum(reads) == 5 * 64 * KiB
