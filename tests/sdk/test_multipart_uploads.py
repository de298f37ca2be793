"""The SDK's uploads over upload sessions, end to end on the local folder, S3 (moto on
loopback), GCS (its emulator: parts through the server, it cannot sign URLs) and Azure
(Azurite: SAS part URLs): a large file in parallel parts, a re-run after an interrupt that
sends only the missing parts, many small files presigned in batches, and the fallback
through the server when the storage cannot be reached."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from modelyard.client.http import HttpClient
from modelyard.client.uploads import UploadOptions
from modelyard.config import Settings
from modelyard.domain.entities import FileEntry
from modelyard.server.app import create_app
from modelyard.services import Services

MiB = 1 << 20


@pytest.fixture(params=["local", "s3", "gcs", "azure"])
def store_url(request, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "local":
        return str(tmp_path / "blobs")
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def sdk(store_url, tmp_path, live_server):  # type: ignore[no-untyped-def]
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": store_url,
                              "backend_store_uri": f"sqlite:///{tmp_path / 'm.db'}"}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    c = HttpClient(live_server.url, uploads=UploadOptions(
        multipart_threshold=8 * MiB, part_size=5 * MiB, workers=4, direct_min_size=0))
    yield c, services
    c.close()
    services.close()


def _file(tmp_path: Path, name: str, size: int) -> tuple[FileEntry, Path]:
    data = os.urandom(size)
    path = tmp_path / name
    path.write_bytes(data)
    return FileEntry(name, size, hashlib.sha256(data).hexdigest()), path


def test_large_file_in_parts_and_registered(sdk, tmp_path):  # type: ignore[no-untyped-def]
    c, services = sdk
    entry, path = _file(tmp_path, "weights.bin", 23 * MiB + 17)
    c.create_model("big")
    assert c.upload_files([(entry, path)]) == entry.size
    v = c.create_version("big", [entry])
    assert v.version == 1
    assert hashlib.sha256(b"".join(services.blobs.read_chunks(entry.sha256))).hexdigest() \
        == entry.sha256


def test_rerun_sends_only_missing_parts(sdk, tmp_path):  # type: ignore[no-untyped-def]
    c, services = sdk
    entry, path = _file(tmp_path, "w.bin", 22 * MiB)
    data = path.read_bytes()
    # An earlier run sent parts 1 and 3 and was killed.
    s = c._request("POST", "/uploads", json={"sha256": entry.sha256, "size": entry.size,
                                              "part_size": 5 * MiB})
    for n in (1, 3):
        piece = data[(n - 1) * 5 * MiB:n * 5 * MiB]
        t = c._request("POST", f"/uploads/{s['upload_id']}/urls", json={
            "parts": [{"part": n, "sha256": hashlib.sha256(piece).hexdigest()}]})["parts"][0]
        c._put(s["upload_id"], t, piece, hashlib.sha256(piece).hexdigest())
    sent = c._upload_multipart(entry, path)
    assert sent == entry.size - 10 * MiB
    assert services.blobs.has(entry.sha256)


def test_many_small_files_one_version(sdk, tmp_path):  # type: ignore[no-untyped-def]
    c, services = sdk
    files = [_file(tmp_path, f"f{i:03d}.bin", 64 * 1024) for i in range(60)]
    c.create_model("many")
    c.upload_files(files)
    v = c.create_version("many", [e for e, _ in files])
    assert len(c.get_version("many", v.version).files or []) == 60
    assert all(services.blobs.has(e.sha256) for e, _ in files)


def test_files_under_a_mebibyte_go_through_the_server_by_default(sdk, tmp_path, store_url):  # type: ignore[no-untyped-def]
    c, services = sdk
    import httpx

    class Refuse(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

    c.upload_options = UploadOptions()  # the defaults
    c._storage = httpx.Client(transport=Refuse())  # the storage is never tried
    small = [_file(tmp_path, f"t{i}.bin", 64 * 1024 + i) for i in range(5)]
    assert c.upload_files(small) == sum(e.size for e, _ in small)
    assert all(services.blobs.has(e.sha256) for e, _ in small)
    assert c._proxy_only is False


def test_unreachable_storage_falls_back_through_the_server(sdk, tmp_path, store_url):  # type: ignore[no-untyped-def]
    c, services = sdk
    if not store_url.startswith(("s3://", "azure://")):
        pytest.skip("no direct transfers on this store (local folder; GCS emulator)")
    import httpx

    class Refuse(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

    c._storage = httpx.Client(transport=Refuse())
    entry, path = _file(tmp_path, "w.bin", 12 * MiB)
    small = [_file(tmp_path, f"s{i}.bin", 1000 + i) for i in range(3)]
    c.upload_files([(entry, path), *small])
    assert all(services.blobs.has(e.sha256) for e, _ in [(entry, path), *small])
    assert c._proxy_only is True


def test_proxy_artifacts_turns_direct_off(s3_url, tmp_path, live_server):  # type: ignore[no-untyped-def]
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": s3_url,
                              "backend_store_uri": f"sqlite:///{tmp_path / 'm.db'}"},
                             environ={"MODELYARD_PROXY_ARTIFACTS": "true"})
    assert settings.proxy_artifacts is True
    services = Services.from_settings(settings, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    try:
        with HttpClient(live_server.url, uploads=UploadOptions(
                multipart_threshold=8 * MiB, part_size=5 * MiB)) as c:
            assert c._request("GET", "/uploads:config")["direct"] is False
            entry, path = _file(tmp_path, "w.bin", 11 * MiB)
            s = c._request("POST", "/uploads", json={"sha256": entry.sha256,
                                                      "size": entry.size, "part_size": 5 * MiB})
            [t] = c._request("POST", f"/uploads/{s['upload_id']}/urls",
                             json={"parts": [{"part": 1}]})["parts"]
            assert t["direct"] is False and t["url"].startswith("/api/v1/uploads/")
            c.upload_files([(entry, path)])
            assert services.blobs.has(entry.sha256)
    finally:
        services.close()


def test_a_batch_completion_cut_short_is_finished_through_the_server(sdk, tmp_path, store_url, live_server):  # type: ignore[no-untyped-def]
    """The storage fails part-way through completing a batch of small files: the
    sessions that completed are gone when the client asks again (NotFound), and what
    is still missing is sent through the server."""
    if not store_url.startswith(("s3://", "azure://")):
        pytest.skip("no direct transfers on this store (local folder; GCS emulator)")
    import json

    import httpx

    _, services = sdk

    class CutShort(httpx.BaseTransport):
        """Loopback to the server; the first completion of a batch completes only its
        first half, then answers 503 as a storage failing part-way would."""

        def __init__(self) -> None:
            self.inner = httpx.HTTPTransport()
            self.cut = False

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if not self.cut and request.url.path.endswith("/uploads:complete-batch"):
                self.cut = True
                ids = json.loads(request.read())["upload_ids"]
                half = httpx.Request("POST", request.url, json={"upload_ids": ids[:len(ids) // 2]},
                                     headers={"X-Modelyard-Client": "sdk"})
                assert self.inner.handle_request(half).status_code == 200
                return httpx.Response(503, json={"error_code": "TEMPORARILY_UNAVAILABLE",
                                                 "message": "object storage error"})
            return self.inner.handle_request(request)

    transport = CutShort()
    with HttpClient(live_server.url, transport=transport, uploads=UploadOptions(
            direct_min_size=0)) as c:
        files = [_file(tmp_path, f"c{i}.bin", 2000 + i) for i in range(6)]
        c.upload_files(files)
        assert transport.cut
        assert c.missing_blobs([e.sha256 for e, _ in files]) == []
        c.create_model("cut")
        assert c.create_version("cut", [e for e, _ in files]).version == 1
    assert all(services.blobs.has(e.sha256) for e, _ in files)
