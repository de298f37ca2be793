"""Multipart uploads that complete in place on S3 (moto on loopback): the parts of a
session with an announced sha256 are assembled under the blob's own key by a
conditional write and verified by a read-back, with no copy.  Wrong bytes are removed
and never count as stored; a blob stored already is never replaced; while the key's
bytes are not verified (a server killed mid-completion) the digest counts as absent,
and gc settles the session: right bytes are kept, wrong ones removed."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from modelyard.client.http import HttpClient
from modelyard.client.uploads import UploadOptions
from modelyard.config import Settings
from modelyard.domain.entities import FileEntry
from modelyard.errors import DigestMismatch, InvalidParameter
from modelyard.server.app import create_app
from modelyard.services import Services

MiB = 1 << 20


@pytest.fixture
def sdk(s3_url, tmp_path, live_server):  # type: ignore[no-untyped-def]
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": s3_url,
                              "backend_store_uri": f"sqlite:///{tmp_path / 'm.db'}"}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    c = HttpClient(live_server.url, uploads=UploadOptions(
        multipart_threshold=8 * MiB, part_size=5 * MiB, workers=4))
    yield c, services
    c.close()
    services.close()


def _keys(services: Services) -> list[str]:
    s3, bucket = services.blobs.s3, services.blobs.bucket  # type: ignore[attr-defined]
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def _session(c: HttpClient, sha256: str, size: int, part_size: int = 5 * MiB) -> dict[str, Any]:
    s = c._request("POST", "/uploads", json={"sha256": sha256, "size": size,
                                              "part_size": part_size})
    assert s["exists"] is False
    return dict(s)


def _send_parts(c: HttpClient, upload_id: str, data: bytes, part_size: int = 5 * MiB) -> None:
    """Send ``data`` as the session's parts (each part's own sha256 is right, so the
    storage takes it: only the whole can be wrong)."""
    for n, i in enumerate(range(0, len(data), part_size), start=1):
        piece = data[i:i + part_size]
        digest = hashlib.sha256(piece).hexdigest()
        t = c._request("POST", f"/uploads/{upload_id}/urls",
                       json={"parts": [{"part": n, "sha256": digest}]})["parts"][0]
        assert t["direct"] is True
        c._put(upload_id, t, piece, digest)


def test_a_large_upload_is_assembled_under_its_key_with_no_copy(sdk, tmp_path):  # type: ignore[no-untyped-def]
    c, services = sdk
    data = os.urandom(12 * MiB + 5)
    path = tmp_path / "w.bin"
    path.write_bytes(data)
    entry = FileEntry("w.bin", len(data), hashlib.sha256(data).hexdigest())
    c.upload_files([(entry, path)])
    key = services.blobs.key(entry.sha256)  # type: ignore[attr-defined]
    assert _keys(services) == [key]  # nothing left under a temporary name
    head = services.blobs.s3.head_object(  # type: ignore[attr-defined]
        Bucket=services.blobs.bucket, Key=key)  # type: ignore[attr-defined]
    assert head["ETag"].strip('"').endswith("-3")  # the multipart object itself, not a copy
    c.create_model("m")
    assert c.create_version("m", [entry]).version == 1


def test_wrong_bytes_are_refused_and_removed(sdk):  # type: ignore[no-untyped-def]
    c, services = sdk
    claimed = os.urandom(11 * MiB)
    sent = os.urandom(11 * MiB)
    digest = hashlib.sha256(claimed).hexdigest()
    s = _session(c, digest, len(claimed))
    _send_parts(c, s["upload_id"], sent)
    with pytest.raises(DigestMismatch):
        c._request("POST", f"/uploads/{s['upload_id']}/complete")
    assert _keys(services) == []
    assert c._request("POST", "/blobs/missing", json={"digests": [digest]})["missing"] == [digest]


def test_a_stored_blob_is_never_replaced(sdk, tmp_path):  # type: ignore[no-untyped-def]
    c, services = sdk
    data = os.urandom(11 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    # A session that will send wrong bytes is opened while the blob is not stored yet ...
    s = _session(c, digest, len(data))
    _send_parts(c, s["upload_id"], os.urandom(11 * MiB))
    # ... then the right bytes are stored by another upload ...
    path = tmp_path / "right.bin"
    path.write_bytes(data)
    c.upload_blob(FileEntry("right.bin", len(data), digest), path)  # through the server
    # ... and completing the first one keeps them: its parts are dropped.
    c._request("POST", f"/uploads/{s['upload_id']}/complete")
    assert hashlib.sha256(b"".join(services.blobs.read_chunks(digest))).hexdigest() == digest
    assert _keys(services) == [services.blobs.key(digest)]  # type: ignore[attr-defined]


def _killed_mid_completion(c: HttpClient, services: Services, data: bytes,
                           digest: str) -> str:
    """A session whose server marked it verifying and had the storage assemble the
    parts under the blob's key, then died before reading them back."""
    s = _session(c, digest, len(data))
    _send_parts(c, s["upload_id"], data)
    session = services.uploads.repo.get(s["upload_id"])
    assert session is not None
    services.uploads.repo.mark_verifying(session.id, services.clock.now_ms())
    key = services.blobs.key(digest)  # type: ignore[attr-defined]
    s3_id = session.handle.split("/", 3)[3]  # mpuk/<upload id>/<sha256>/<S3 upload id>
    s3, bucket = services.blobs.s3, services.blobs.bucket  # type: ignore[attr-defined]
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=s3_id)["Parts"]
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=s3_id, MultipartUpload={
        "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"],
                   **({"ChecksumSHA256": p["ChecksumSHA256"]} if p.get("ChecksumSHA256")
                      else {})} for p in parts]})
    return str(s["upload_id"])


def _sweep_later(services: Services) -> int:
    from modelyard.domain.uploads import UploadService

    class Later:
        def now_ms(self) -> int:
            return services.clock.now_ms() + 25 * 3600 * 1000

    u = services.uploads
    return UploadService(u.repo, u.store, Later(), u.may_upload).sweep()


@pytest.mark.parametrize("right", [True, False], ids=["right-bytes", "wrong-bytes"])
def test_unverified_bytes_count_as_absent_until_gc_settles_them(sdk, right):  # type: ignore[no-untyped-def]
    c, services = sdk
    claimed = os.urandom(11 * MiB)
    digest = hashlib.sha256(claimed).hexdigest()
    _killed_mid_completion(c, services, claimed if right else os.urandom(11 * MiB), digest)
    assert _keys(services) == [services.blobs.key(digest)]  # type: ignore[attr-defined]
    # The key holds bytes nobody verified: not stored, as far as anyone can tell.
    assert c._request("POST", "/blobs/missing", json={"digests": [digest]})["missing"] == [digest]
    c.create_model("m")
    with pytest.raises(InvalidParameter):
        c.create_version("m", [FileEntry("w.bin", len(claimed), digest)])
    assert _sweep_later(services) == 1
    missing = c._request("POST", "/blobs/missing", json={"digests": [digest]})["missing"]
    if right:
        assert missing == []
        assert c.create_version("m", [FileEntry("w.bin", len(claimed), digest)]).version == 1
    else:
        assert missing == [digest] and _keys(services) == []


def test_a_retried_completion_verifies_what_the_first_assembled(sdk):  # type: ignore[no-untyped-def]
    c, services = sdk
    data = os.urandom(11 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    upload_id = _killed_mid_completion(c, services, data, digest)
    # The client's retry of /complete: the storage assembled the parts already.
    c._request("POST", f"/uploads/{upload_id}/complete")
    assert c._request("POST", "/blobs/missing", json={"digests": [digest]})["missing"] == []
    assert hashlib.sha256(b"".join(services.blobs.read_chunks(digest))).hexdigest() == digest


def test_an_interrupted_in_place_upload_is_kept_by_gc(sdk, tmp_path):  # type: ignore[no-untyped-def]
    """gc's sweep of stale multipart uploads leaves a session's upload (in place, on
    the blob's key) to the session's expiry: a re-run days later still resumes it."""
    c, services = sdk
    data = os.urandom(11 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    s = _session(c, digest, len(data))
    _send_parts(c, s["upload_id"], data[:5 * MiB])
    files, _ = services.blobs.sweep_temp(float("inf"))
    assert files == 0
    assert services.blobs.multipart_parts(services.uploads.repo.get(  # type: ignore[union-attr]
        s["upload_id"]).handle) == {1: 5 * MiB}


def test_wrong_bytes_left_under_the_key_give_way_to_right_ones(sdk):  # type: ignore[no-untyped-def]
    c, services = sdk
    data = os.urandom(11 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    _killed_mid_completion(c, services, os.urandom(11 * MiB), digest)
    s = _session(c, digest, len(data), part_size=6 * MiB)  # another session of the blob
    _send_parts(c, s["upload_id"], data, part_size=6 * MiB)
    c._request("POST", f"/uploads/{s['upload_id']}/complete")
    assert hashlib.sha256(b"".join(services.blobs.read_chunks(digest))).hexdigest() == digest
    # Its bytes verified, the blob is stored for everyone (the dead session's mark is gone).
    assert c._request("POST", "/blobs/missing", json={"digests": [digest]})["missing"] == []


def test_small_files_cost_the_storage_one_request_each(sdk, tmp_path, caplog):  # type: ignore[no-untyped-def]
    """Files under 1 MiB go through the server, which writes each with one conditional
    PutObject; committing the version a moment later asks the storage nothing more
    about them (the server remembers what it wrote).  Sent again, nothing is new."""
    import logging

    from modelyard.client.uploads import UploadOptions

    c, services = sdk
    c.upload_options = UploadOptions()  # the defaults
    files = []
    for i in range(20):
        p = tmp_path / f"s{i}.bin"
        p.write_bytes(os.urandom(64 * 1024))
        files.append((FileEntry(p.name, 64 * 1024, hashlib.sha256(p.read_bytes()).hexdigest()), p))
    c.create_model("small")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert c.upload_files(files) == 20 * 64 * 1024
        assert c.create_version("small", [e for e, _ in files]).version == 1
    storage = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    blob_calls = [m for m in storage if "/blobs/sha256/" in m]
    assert len(blob_calls) == 20 and all('"PUT ' in m for m in blob_calls), blob_calls
    assert c.upload_files(files) == 0  # stored already: nothing new


def test_aborting_a_session_cut_short_mid_completion_removes_its_wrong_bytes(sdk):  # type: ignore[no-untyped-def]
    c, services = sdk
    digest = hashlib.sha256(b"the blob the client claimed").hexdigest()
    upload_id = _killed_mid_completion(c, services, os.urandom(11 * MiB), digest)
    c._request("DELETE", f"/uploads/{upload_id}")
    assert _keys(services) == []
    assert c._request("POST", "/blobs/missing", json={"digests": [digest]})["missing"] == [digest]
