"""Behind a reverse proxy that terminates TLS, ``--public-url`` is where users reach the
registry: the OIDC redirect is built from it and cookies are marked Secure, although
the server itself only sees plain http."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from modelyard.config import Settings
from tests.oidc_provider import Provider

PUBLIC = "https://models.example.test/registry"


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider().start()
    yield p
    p.stop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, provider: Provider) -> Settings:
    secret = tmp_path / "client-secret"
    secret.write_text(provider.client_secret + "\n")
    return Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": db_url,
                          "oidc_issuer": provider.url, "oidc_client_id": provider.client_id,
                          "oidc_client_secret_file": str(secret), "oidc_allow_loopback": True,
                          "public_url": PUBLIC}, environ={})


def test_redirect_and_cookies_follow_the_public_url(server_url: str) -> None:
    with httpx.Client(base_url=server_url) as browser:
        r = browser.get("/auth/oidc/login")
        assert r.status_code == 302, r.text
        query = parse_qs(urlsplit(r.headers["location"]).query)
        assert query["redirect_uri"] == [PUBLIC + "/auth/oidc/callback"]
        assert "secure" in r.headers["set-cookie"].lower()
        page = browser.get("/login")
        assert page.status_code == 200
        assert "secure" in page.headers["set-cookie"].lower()


def test_a_bad_public_url_is_refused_in_one_line(tmp_path: Path) -> None:
    for bad in ("models.example.test", "ftp://x", "https://x/?a=b"):
        r = subprocess.run([sys.executable, "-m", "modelyard.cli", "server", "--home",
                            str(tmp_path), "--public-url", bad], capture_output=True, text=True,
                           timeout=60)
        assert r.returncode != 0
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "--public-url" in lines[0], r.stderr
