"""Downloads straight from object storage (presigned URLs from ``POST /blobs:locate``),
through the server with ``--proxy-artifacts`` or when the storage cannot be reached,
and large files as parallel ranged reads that resume from a partial file.  A real
server on loopback, a real S3-compatible server (moto), and the SDK."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.client.ranged import partial_path
from modelyard.config import Settings
from modelyard.errors import DigestMismatch, NotFound, ServiceUnavailable
from modelyard.server.app import create_app
from modelyard.services import Services
from tests.live import free_port


class Recorder:
    """The app, with the path and Range header of every GET it received; with ``cut``
    set, every ranged blob read is broken off after that many bytes of its body (the
    connection drops, as when a network or a server fails)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str]] = []
        self.cut: int | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            headers = dict(scope["headers"])
            self.seen.append((scope["path"], headers.get(b"range", b"").decode()))
            if self.cut is not None and b"range" in headers and \
                    scope["path"].startswith("/api/v1/blobs/sha256/"):
                send = self._cutting(send, self.cut)
        await self.app(scope, receive, send)

    @staticmethod
    def _cutting(send: Any, cut: int) -> Any:
        sent = 0

        async def cutting(message: dict[str, Any]) -> None:
            nonlocal sent
            if message["type"] == "http.response.body":
                body = message.get("body", b"")
                if sent + len(body) > cut:
                    await send({**message, "body": body[:cut - sent], "more_body": True})
                    raise ConnectionAbortedError("cut off by the test")
                sent += len(body)
            await send(message)
        return cutting

    def blob_reads(self) -> list[tuple[str, str]]:
        return [(p, r) for p, r in self.seen if p.startswith("/api/v1/blobs/sha256/")]


def _serve(tmp_path: Path, live_server: Any, artifacts: str | None, **more: Any) -> Recorder:
    values = {"home": str(tmp_path / "home"), **more}
    if artifacts:
        values["artifacts_uri"] = artifacts
    settings = Settings.load(values, environ={})
    services = Services.from_settings(settings, upgrade=True)
    recorder = Recorder(create_app(settings, services))
    live_server.switch.app = recorder
    return recorder


@pytest.fixture
def big_model(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    d.mkdir()
    (d / "MLmodel").write_text("flavor: test\n")
    (d / "weights.bin").write_bytes(os.urandom(5 * 1024 * 1024 + 3))
    (d / "medium.bin").write_bytes(os.urandom(2 * 1024 * 1024 + 1))
    return d


def _same(a: Path, b: Path) -> None:
    for name in ("MLmodel", "weights.bin", "medium.bin"):
        assert hashlib.sha256((a / name).read_bytes()).digest() == \
            hashlib.sha256((b / name).read_bytes()).digest(), name


def test_large_files_come_straight_from_the_storage(tmp_path, live_server, s3_url, big_model):
    rec = _serve(tmp_path, live_server, s3_url)
    with HttpClient(live_server.url) as c:
        v = c.register("m", big_model)
        files = {f.path: f for f in c.get_version("m", v.version).files or []}
        found = httpx.post(live_server.url + "/api/v1/blobs:locate",
                           json={"digests": [files["weights.bin"].sha256]}).json()
        [loc] = found["locations"]
        assert loc["size"] == files["weights.bin"].size and loc["expires_in"] > 0
        assert loc["url"].startswith(s3_url.split("endpoint_url=")[1].split("&")[0])
        rec.seen.clear()
        out = c.download("m/1", tmp_path / "out")
        _same(big_model, out)
    # Only the small file went through the server (a batch read, a POST); no blob GET.
    assert rec.blob_reads() == []


def test_ranged_reads_direct_and_through_the_server(tmp_path, live_server, s3_url, big_model):
    rec = _serve(tmp_path, live_server, s3_url)
    with HttpClient(live_server.url, ranged_above=1 << 20, range_workers=3) as c:
        c.range_part = 1 << 20
        c.register("m", big_model)
        c.download("m/1", tmp_path / "direct")
        assert rec.blob_reads() == []
        _same(big_model, tmp_path / "direct")
    with HttpClient(live_server.url, direct=False, ranged_above=1 << 20,
                    range_workers=3) as c:
        c.range_part = 1 << 20
        rec.seen.clear()
        c.download("m/1", tmp_path / "proxied")
        _same(big_model, tmp_path / "proxied")
        ranges = [r for _, r in rec.blob_reads()]
        # Few large parts: each file in range_workers (3) parts of at least 1 MiB.
        assert len(ranges) == 3 + 3 and all(r.startswith("bytes=") for r in ranges)


def test_proxy_artifacts_sends_every_byte_through_the_server(tmp_path, live_server, s3_url,
                                                             big_model):
    rec = _serve(tmp_path, live_server, s3_url, proxy_artifacts=True)
    with HttpClient(live_server.url) as c:
        v = c.register("m", big_model)
        digests = [f.sha256 for f in c.get_version("m", v.version).files or []]
        found = httpx.post(live_server.url + "/api/v1/blobs:locate",
                           json={"digests": digests}).json()["locations"]
        assert [f["url"] for f in found] == [None] * 3
        c.download("m/1", tmp_path / "out")
    _same(big_model, tmp_path / "out")
    assert len(rec.blob_reads()) == 2  # the two files above the batch-read size


def test_unreachable_storage_falls_back_to_the_server(tmp_path, live_server, s3_url, big_model):
    rec = _serve(tmp_path, live_server, s3_url)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: the storage is unreachable
    with HttpClient(live_server.url) as c:
        c.register("m", big_model)
        c._storage = httpx.Client(proxy=closed)
        c.download("m/1", tmp_path / "whole")
        _same(big_model, tmp_path / "whole")
        assert len(rec.blob_reads()) == 2
        c.ranged_above, c.range_part = 1 << 20, 1 << 20
        rec.seen.clear()
        c.download("m/1", tmp_path / "ranged")
        _same(big_model, tmp_path / "ranged")
        assert len(rec.blob_reads()) == 6 + 3


def test_a_local_store_is_read_through_the_server_with_ranges(tmp_path, live_server, big_model):
    rec = _serve(tmp_path, live_server, None)
    with HttpClient(live_server.url, ranged_above=1 << 20) as c:
        c.range_part = 1 << 20
        v = c.register("m", big_model)
        found = httpx.post(live_server.url + "/api/v1/blobs:locate",
                           json={"digests": [f.sha256 for f in c.get_version("m", v.version).files or []]}).json()
        assert {f["url"] for f in found["locations"]} == {None}
        c.download("m/1", tmp_path / "out")
    _same(big_model, tmp_path / "out")
    assert len(rec.blob_reads()) == 9


def _requested(ranges: list[str]) -> int:
    total = 0
    for r in ranges:
        first, last = r.removeprefix("bytes=").split("-")
        total += int(last) - int(first) + 1
    return total


def test_an_interrupted_download_resumes_and_a_bad_partial_is_dropped(tmp_path, live_server,
                                                                      big_model):
    rec = _serve(tmp_path, live_server, None)
    data = (big_model / "weights.bin").read_bytes()
    out = tmp_path / "out"
    with HttpClient(live_server.url, ranged_above=1 << 20) as c:
        c.range_part = 1 << 20
        v = c.register("m", big_model)
        entry = next(f for f in c.get_version("m", v.version).files or []
                     if f.path == "weights.bin")
        rec.cut = 200_000  # every read breaks: each part gets 4 x 200 kB, then gives up
        with pytest.raises(ServiceUnavailable):
            c.download("m/1", out)
        partial = partial_path(out / "weights.bin", entry.sha256)
        assert partial.exists() and not (out / "weights.bin").exists()

        rec.cut = None
        rec.seen.clear()
        c.download("m/1", out)  # only what each part is missing
        assert (out / "weights.bin").read_bytes() == data and not partial.exists()
        again = [r for p, r in rec.blob_reads() if p.endswith(entry.sha256)]
        assert 0 < _requested(again) < len(data) - 5 * 600_000
        assert list(out.glob(".*")) == []  # no partial file or ledger left

        (out / "weights.bin").unlink()
        rec.cut = 200_000
        with pytest.raises(ServiceUnavailable):
            c.download("m/1", out)
        with open(partial, "r+b") as fh:  # damage what was written
            fh.write(b"\xff" * 1000)
        rec.cut = None
        with pytest.raises(DigestMismatch):
            c.download("m/1", out)  # the whole sha256 catches it ...
        assert not partial.exists() and not (out / "weights.bin").exists()
        c.download("m/1", out)  # ... and the next try starts from zero
        assert (out / "weights.bin").read_bytes() == data


def test_locate_is_checked_as_a_read(tmp_path, live_server, s3_url, big_model):
    from modelyard.domain.entities import ANONYMOUS

    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": s3_url},
                             environ={})
    services = Services.from_settings(settings, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    root = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    with HttpClient(live_server.url, token=root.token) as c:
        v = c.register("secret", big_model)
        v = c.get_version("secret", v.version)
        c.create_user("bob", password="bob-password")
        bob = c.create_token("b", user="bob").secret
    digest = next(f.sha256 for f in v.files or [] if f.path == "weights.bin")
    with HttpClient(live_server.url, token=bob) as b, pytest.raises(NotFound):
        b._locate_blobs([digest])
    resp = httpx.post(live_server.url + "/api/v1/blobs:locate", json={"digests": [digest]},
                      headers={"Authorization": f"Bearer {bob}"})
    assert resp.status_code == 404 and "url" not in resp.text
    bad = httpx.post(live_server.url + "/api/v1/blobs:locate", json={"digests": ["nope"]},
                     headers={"Authorization": f"Bearer {root.token}"})
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    services.close()


def test_proxy_artifacts_from_the_environment_and_the_flag() -> None:
    from click.testing import CliRunner

    from modelyard.cli.server import server

    assert Settings.load({}, environ={}).proxy_artifacts is False
    assert Settings.load({}, environ={"MODELYARD_PROXY_ARTIFACTS": "true"}).proxy_artifacts
    assert "--proxy-artifacts" in CliRunner().invoke(server, ["--help"]).output


def test_two_ranged_downloads_into_one_folder_at_once(tmp_path, live_server, big_model):
    from concurrent.futures import ThreadPoolExecutor

    _serve(tmp_path, live_server, None)
    with HttpClient(live_server.url) as c:
        c.register("m", big_model)

    def download(_: int) -> None:
        with HttpClient(live_server.url, ranged_above=1 << 20) as c:
            c.range_part = 1 << 20
            c.download("m/1", tmp_path / "out")

    with ThreadPoolExecutor(2) as pool:  # the second gets a partial file of its own
        list(pool.map(download, range(4)))
    _same(big_model, tmp_path / "out")
    assert list((tmp_path / "out").glob(".*")) == []
