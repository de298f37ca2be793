"""Small files on S3 (moto on loopback) with the SDK's defaults: files under 1 MiB go
through the server without asking first which are missing, and the server stores each
with one conditional PutObject (a stored blob is never written again), and the commit
checks many blobs with one ordered listing (one HEAD each with ``listing=off``), so a
new small file in a fresh bucket costs the storage one request (its PUT) instead of six
(missing check, presigned PUT to a temporary key, read-back, copy, delete, check)."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from modelyard.client.http import HttpClient
from modelyard.client.uploads import UploadOptions
from modelyard.config import Settings
from modelyard.domain.entities import FileEntry
from modelyard.server.app import create_app
from modelyard.services import Services


@pytest.fixture(params=["on", "off"])
def sdk(s3_url, tmp_path, live_server, request):  # type: ignore[no-untyped-def]
    url = s3_url + ("&listing=off" if request.param == "off" else "")
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": url,
                              "backend_store_uri": f"sqlite:///{tmp_path / 'm.db'}"}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    c = HttpClient(live_server.url, uploads=UploadOptions())
    yield c, services
    c.close()
    services.close()


def _files(tmp_path: Path, n: int, size: int = 64 * 1024) -> list[tuple[FileEntry, Path]]:
    out = []
    for i in range(n):
        p = tmp_path / f"s{i}.bin"
        p.write_bytes(os.urandom(size))
        out.append((FileEntry(p.name, size, hashlib.sha256(p.read_bytes()).hexdigest()), p))
    return out


def _storage_calls(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "werkzeug" and ("/blobs/sha256/" in r.getMessage()
                                         or "list-type=2" in r.getMessage())]


def test_a_small_file_costs_the_storage_one_request(sdk, tmp_path, caplog):  # type: ignore[no-untyped-def]
    c, services = sdk
    listing = bool(services.blobs.list_page_size)  # type: ignore[attr-defined]
    files = _files(tmp_path, 20)
    c.create_model("small")
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert c.upload_files(files) == 20 * 64 * 1024
        assert c.create_version("small", [e for e, _ in files]).version == 1
    calls = _storage_calls(caplog)
    assert sum('"PUT ' in m for m in calls) == 20, calls  # one PutObject each ...
    if listing:
        assert sum("list-type=2" in m for m in calls) == 1, calls  # ... the commit's check
        assert len(calls) == 21, calls
    else:
        assert sum('"HEAD ' in m for m in calls) == 20, calls  # ... one HEAD each
        assert len(calls) == 40, calls


def test_sent_again_nothing_is_new_and_nothing_is_rewritten(sdk, tmp_path, caplog):  # type: ignore[no-untyped-def]
    c, services = sdk
    files = _files(tmp_path, 5)
    assert c.upload_files(files) == 5 * 64 * 1024
    key = services.blobs.key(files[0][0].sha256)  # type: ignore[attr-defined]
    s3, bucket = services.blobs.s3, services.blobs.bucket  # type: ignore[attr-defined]
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"]
    assert c.upload_files(files) == 0  # the server says which bytes were new: none
    assert s3.head_object(Bucket=bucket, Key=key)["ETag"] == etag
    assert c.missing_blobs([e.sha256 for e, _ in files]) == []


def test_a_wrong_small_file_is_refused_and_stores_nothing(sdk, tmp_path):  # type: ignore[no-untyped-def]
    from modelyard.errors import DigestMismatch

    c, services = sdk
    [(entry, path)] = _files(tmp_path, 1)
    path.write_bytes(os.urandom(64 * 1024))  # changed after it was hashed
    with pytest.raises(DigestMismatch):
        c.upload_files([(entry, path)])
    assert not services.blobs.has(entry.sha256)
