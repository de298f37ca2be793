"""Readiness over a real database and a real S3-compatible storage behind a relay that
the test freezes (connections are accepted and nothing is ever answered, as with a
dropped route) and thaws: each probe answers within its deadline, a probe while a check
hangs does not start another, and once the storage answers again the probes say so
within a few deadlines, not after the hung call's own timeouts and retries (60 s a try
for S3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.artifacts.s3 import S3BlobStore
from modelyard.domain.health import FRESH_AFTER, MAX_FLIGHTS, HealthService
from modelyard.store.sql_store import SqlStore
from tests.relay import Proxy

DEADLINE = 0.3


@pytest.fixture
def relay(s3_server: str) -> Iterator[Proxy]:
    relay = Proxy(int(s3_server.rsplit(":", 1)[1]))
    yield relay
    relay.cut()


def _threads() -> int:
    return sum(t.name == "modelyard-ready" for t in threading.enumerate())


def test_a_hung_storage_is_timed_out_and_its_return_seen(
        relay: Proxy, s3_url: str, tmp_path: Path) -> None:
    url = s3_url.replace(s3_url.split("endpoint_url=")[1].split("&")[0],
                         f"http://127.0.0.1:{relay.port}")
    store = SqlStore(f"sqlite:///{tmp_path / 'db.sqlite'}")
    health = HealthService(store, S3BlobStore.from_url(url), deadline_s=DEADLINE)
    assert health.readiness() == {"database": "ok", "storage": "ok"}

    relay.freeze()
    before = _threads()
    for _ in range(3):
        started = time.monotonic()
        assert health.readiness() == {"database": "ok", "storage": "TIMEOUT"}
        assert time.monotonic() - started < DEADLINE + 0.5
    assert _threads() == before + 1  # the probes that followed awaited the hung check

    relay.thaw()  # the hung call stays hung; a fresh attempt sees the storage back
    until = time.monotonic() + (FRESH_AFTER + 3) * DEADLINE * 2
    while (checks := health.readiness())["storage"] != "ok":
        assert time.monotonic() < until, checks
    assert checks == {"database": "ok", "storage": "ok"}

    relay.freeze()  # however long a hang, the attempts it holds are bounded
    until = time.monotonic() + (MAX_FLIGHTS + 2) * FRESH_AFTER * DEADLINE
    while time.monotonic() < until:
        assert health.readiness()["storage"] == "TIMEOUT"
    assert _threads() == before + MAX_FLIGHTS
    store.dispose()
