"""The domain's blob service over a real local blob store: checked digests, verified
streaming uploads, ranges, and the maintenance calls gc uses."""

from __future__ import annotations

import hashlib

import pytest

from modelyard.artifacts.local import LocalBlobStore
from modelyard.domain.blobs import MAX_DIGESTS, BlobService
from modelyard.domain.entities import FileEntry, Principal
from modelyard.errors import DigestMismatch, InvalidParameter

WHO = Principal("alice")


@pytest.fixture
def service(tmp_path):
    return BlobService(LocalBlobStore(str(tmp_path / "blobs")))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_upload_read_and_ranges(service, tmp_path):
    data = bytes(range(256)) * 10
    d = _sha(data)
    assert service.missing(WHO, [d]) == [d] and not service.exists(WHO, d)
    w = service.writer(WHO, d, 1 << 20)
    w.write(data[:100])
    w.write(data[100:])
    assert w.commit(len(data)) == len(data)
    assert service.missing(WHO, [d]) == [] and service.exists(WHO, d)
    assert service.size(WHO, d) == len(data)
    assert b"".join(service.read_chunks(WHO, d)) == data
    assert b"".join(service.read_chunks(WHO, d, 10, 20)) == data[10:20]
    src = tmp_path / "f.bin"
    src.write_bytes(b"file")
    assert service.put_file(WHO, str(src), _sha(b"file")) == 4
    assert service.acting(WHO).size(_sha(b"file")) == 4


def test_bad_digests_and_bytes_are_refused(service, tmp_path):
    with pytest.raises(InvalidParameter):
        service.missing(WHO, ["not-a-digest"])
    with pytest.raises(InvalidParameter):
        service.missing(WHO, ["0" * 64] * (MAX_DIGESTS + 1))
    for call in (lambda: service.size(WHO, "../x"), lambda: service.writer(WHO, "X", 10),
                 lambda: service.local_path(WHO, "a" * 63), lambda: service.delete(WHO, "")):
        with pytest.raises(InvalidParameter):
            call()
    w = service.writer(WHO, _sha(b"expected"), 1 << 20)
    w.write(b"something else")
    with pytest.raises(DigestMismatch):
        w.commit()
    assert service.missing(WHO, [_sha(b"expected")]) == [_sha(b"expected")]


def test_maintenance_lists_and_deletes(service):
    w = service.writer(WHO, None, 1 << 20)
    w.write(b"orphan")
    w.commit()
    d = _sha(b"orphan")
    assert [digest for digest, _ in service.stored(WHO)] == [d]
    service.delete(WHO, d)
    assert list(service.stored(WHO)) == [] and service.sweep_temp(WHO, 0) == (0, 0)


def test_check_present(service, tmp_path):
    src = tmp_path / "f.bin"
    src.write_bytes(b"data")
    service.put_file(WHO, str(src), _sha(b"data"))
    service.check_present(WHO, [FileEntry("f.bin", 4, _sha(b"data"))])
    with pytest.raises(InvalidParameter, match="not uploaded"):
        service.check_present(WHO, [FileEntry("g.bin", 1, _sha(b"g"))])
    with pytest.raises(InvalidParameter, match="manifest says 5 bytes"):
        service.check_present(WHO, [FileEntry("f.bin", 5, _sha(b"data"))])
