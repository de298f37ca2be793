"""Range requests on blob downloads, on the local folder (served from disk) and on S3
(streamed through the server): one valid range is answered 206; a range that is not
valid, or several, is ignored (the whole blob, 200, as RFC 9110 lets a server do); a
valid range that no byte is in is a 416 with the blob's size, in the JSON envelope;
never a negative length or a half-sent answer."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelyard.config import Settings
from modelyard.server.app import create_app
from modelyard.services import Services

DATA = bytes(range(256)) * 10
SIZE = len(DATA)


@pytest.fixture(params=["local", "s3"])
def http(request: pytest.FixtureRequest, tmp_path: Path, live_server) -> Iterator[httpx.Client]:
    options = {"home": str(tmp_path / "home"), "proxy_artifacts": True}
    if request.param == "s3":
        options["artifacts_uri"] = request.getfixturevalue("s3_url")
    settings = Settings.load(options, environ={})
    services = Services.from_settings(settings, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        digest = hashlib.sha256(DATA).hexdigest()
        assert client.put(f"/api/v1/blobs/sha256/{digest}", content=DATA).status_code in (200, 201)
        client.headers["x-test-digest"] = digest
        yield client
    services.close()


def _get(http: httpx.Client, range_: str) -> httpx.Response:
    return http.get(f"/api/v1/blobs/sha256/{http.headers['x-test-digest']}",
                    headers={"Range": range_})


@pytest.mark.parametrize(("range_", "want"), [
    ("bytes=10-19", DATA[10:20]), ("bytes=-5", DATA[-5:]), ("bytes=2550-", DATA[2550:]),
    ("bytes=2550-99999", DATA[2550:]), ("bytes=-99999", DATA)])
def test_one_valid_range(http: httpx.Client, range_: str, want: bytes) -> None:
    r = _get(http, range_)
    assert r.status_code in (200, 206) and r.content == want
    if r.status_code == 206:
        first, last = r.headers["content-range"].split(" ")[1].split("/")[0].split("-")
        assert int(last) - int(first) + 1 == len(want) == int(r.headers["content-length"])


@pytest.mark.parametrize("range_", ["bytes=--5", "bytes=5-3", "bytes=abc", "bytes=-",
                                    "bytes=0-1,5-6", "items=0-5", "bytes=1-2-3",
                                    pytest.param("bytes=" + "9" * 30 + "-", id="30-digits")])
def test_an_invalid_range_is_ignored(http: httpx.Client, range_: str) -> None:
    r = _get(http, range_)
    assert r.status_code == 200 and r.content == DATA


@pytest.mark.parametrize("range_", ["bytes=-0", f"bytes={SIZE}-", "bytes=5000-6000"])
def test_a_range_past_the_end_is_416(http: httpx.Client, range_: str) -> None:
    r = _get(http, range_)
    assert r.status_code == 416, r.text
    assert r.headers["content-range"] == f"bytes */{SIZE}"
    body = r.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE" and body["request_id"]


@pytest.mark.parametrize("expires", ["%C2%B2", pytest.param("9" * 4301, id="4301-digits"),
                                     "-1", ""])
def test_a_part_url_with_a_bad_expiry_is_a_400(http: httpx.Client, expires: str) -> None:
    r = http.put(f"/api/v1/uploads/{'0' * 32}/parts/1?expires={expires}&signature=x",
                 content=b"x")
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", r.text
