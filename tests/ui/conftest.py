"""Browser tests: real headless chromium (Debian's, at /usr/bin/chromium) driven by
Playwright, against the live test server on SQLite.  Skipped (failed in CI) when
chromium or Playwright is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.services import unavailable
from tests.ui.seed import Seeded, seed

CHROMIUM = os.environ.get("MODELYARD_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable("playwright (pip install playwright)", exc)
    if not Path(CHROMIUM).exists():
        unavailable(f"chromium at {CHROMIUM}", FileNotFoundError(CHROMIUM))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@dataclass
class Site:
    url: str
    tokens: dict[str, str]
    data: Seeded
    browser: Any
    requests: list[str]

    def context(self, who: str = "root", **kw: Any) -> Any:
        """A browser context acting as ``who``; every request any of its pages makes
        is recorded in ``requests``."""
        ctx = self.browser.new_context(
            base_url=self.url, extra_http_headers={"Authorization": f"Bearer {self.tokens[who]}"},
            **kw)
        ctx.on("request", lambda r: self.requests.append(r.url))
        return ctx


@pytest.fixture
def site(server_url: str, services: Any, browser: Any, tmp_path: Path) -> Iterator[Site]:
    """root (admin), a maintainer and a viewer of the default project; the seed data
    registered through the SDK over HTTP."""
    from modelyard.client.http import HttpClient
    from modelyard.domain.entities import ANONYMOUS

    root_user = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    tokens = {"root": root_user.token or ""}
    with HttpClient(server_url, token=tokens["root"]) as root:
        for name in ("maintainer", "viewer"):
            root.create_user(name, password=f"{name}-password")
            tokens[name] = root.create_token("t", user=name).secret or ""
            root.grant_role(name, name, project="default")
        data = seed(root, tmp_path)
    yield Site(server_url, tokens, data, browser, [])
