"""The HTTP transport sends one Idempotency-Key per logical call and reuses it when it
retries: a connection that drops after the server committed cannot make a duplicate."""

from __future__ import annotations

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.server.app import create_app


class DropsFirstAnswer(httpx.BaseTransport):
    """A real connection to the server that loses the answer of the first POST to a
    path ending in ``suffix`` (the request was delivered and acted upon)."""

    def __init__(self, suffix: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.suffix = suffix
        self.keys: list[tuple[str, str | None]] = []
        self.dropped = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST":
            self.keys.append((request.url.path, request.headers.get("idempotency-key")))
            if request.url.path.endswith(self.suffix) and not self.dropped:
                response.read()
                response.close()
                self.dropped = True
                raise httpx.ReadError("connection reset by peer", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def dropping(services, live_server):
    live_server.switch.app = create_app(services.settings, services)
    transport = DropsFirstAnswer("/versions")
    c = HttpClient(live_server.url, transport=transport)
    yield c, transport
    c.close()


def test_a_retried_commit_creates_one_version(dropping, model_dir):
    c, transport = dropping
    v = c.register("fraud", model_dir)
    assert transport.dropped and v.version == 1
    assert [x.version for x in c.search_versions("name = 'fraud'").items] == [1]
    commits = [key for path, key in transport.keys if path.endswith("/versions")]
    assert len(commits) == 2 and commits[0] == commits[1] and commits[0]
    # Each logical call has a key of its own.
    keys = [key for _, key in transport.keys]
    assert len(set(keys)) == len(keys) - 1
    assert c.register("fraud", model_dir).version == 2
    # A search changes nothing: it carries no key.
    c.search_runs(["0"])
    assert transport.keys[-1] == ("/api/v1/runs/search", None)
