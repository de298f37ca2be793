"""``Idempotency-Key`` on the native API's mutating POSTs, on every database: a
replay answers the first response, a different request with the key is a 409,
failures are not kept, keys expire after a day, and two identical requests at once
create one version."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import httpx
import pytest

from modelyard.domain.entities import ANONYMOUS, Principal
from modelyard.errors import IdempotencyKeyReused
from modelyard.server.app import create_app
from modelyard.services import Services

DATA = b"weights" * 100
DIGEST = hashlib.sha256(DATA).hexdigest()
FILES = [{"path": "w.bin", "size": len(DATA), "sha256": DIGEST}]


def _commit(http: Any, key: str, body: dict[str, Any] | None = None,
            model: str = "fraud") -> httpx.Response:
    resp: httpx.Response = http.post(f"/api/v1/models/{model}/versions",
                                     json=body or {"files": FILES},
                                     headers={"Idempotency-Key": key})
    return resp


def _versions(http: Any, model: str = "fraud") -> list[int]:
    found = http.get("/api/v1/versions", params={"filter": f"name = '{model}'"}).json()
    return sorted(v["version"] for v in found["versions"])


def _setup(http: Any, *models: str) -> None:
    assert http.put(f"/api/v1/blobs/sha256/{DIGEST}", content=DATA).status_code == 200
    for m in models or ("fraud",):
        assert http.post("/api/v1/models", json={"name": m}).status_code == 201


def test_replay_answers_the_first_response(http):
    _setup(http)
    first = _commit(http, "k-1")
    again = _commit(http, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["version"]["version"] == 1
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _versions(http) == [1]
    # Without a key, or with another one, a commit is a new version.
    assert _commit(http, "k-2").json()["version"]["version"] == 2
    assert http.post("/api/v1/models/fraud/versions",
                     json={"files": FILES}).json()["version"]["version"] == 3


def test_same_key_other_request_is_a_conflict_and_routes_are_apart(http):
    _setup(http, "fraud", "other")
    assert _commit(http, "k").status_code == 201
    reused = _commit(http, "k", {"files": FILES, "description": "changed"})
    assert reused.status_code == 409, reused.text
    assert reused.json()["error_code"] == "IDEMPOTENCY_KEY_REUSED"
    assert "different request" in reused.json()["message"] and reused.json()["request_id"]
    # The same key on another route is another key.
    assert _commit(http, "k", model="other").status_code == 201
    assert _versions(http) == [1] and _versions(http, "other") == [1]
    bad = _commit(http, "x" * 300)
    assert bad.status_code == 400 and bad.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_a_failed_request_releases_its_key(http):
    assert http.post("/api/v1/models", json={"name": "fraud"}).status_code == 201
    missing = _commit(http, "k")
    assert missing.status_code == 400  # the blob was not uploaded
    assert http.put(f"/api/v1/blobs/sha256/{DIGEST}", content=DATA).status_code == 200
    retried = _commit(http, "k")
    assert retried.status_code == 201 and retried.json()["version"]["version"] == 1


def test_two_identical_requests_at_once_create_one_version(http, server_url):
    _setup(http)
    for round_ in range(3):
        answers: list[httpx.Response] = []
        barrier = threading.Barrier(4)

        def send(key: str, barrier: threading.Barrier, answers: list[httpx.Response]) -> None:
            with httpx.Client(base_url=server_url, timeout=60) as c:
                barrier.wait()
                answers.append(_commit(c, key))

        threads = [threading.Thread(target=send, args=(f"together-{round_}", barrier, answers))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        assert len({a.json()["version"]["version"] for a in answers}) == 1
    assert _versions(http) == [1, 2, 3]


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def now_ms(self) -> int:
        return self.ms


def test_keys_expire_after_a_day(settings, live_server):
    clock = Clock()
    services = Services.from_settings(settings, clock, upgrade=True)
    live_server.switch.app = create_app(settings, services)
    try:
        with httpx.Client(base_url=live_server.url, timeout=30) as http:
            _setup(http)
            assert _commit(http, "k").json()["version"]["version"] == 1
            clock.ms += 23 * 3600 * 1000
            assert _commit(http, "k").json()["version"]["version"] == 1
            clock.ms += 3600 * 1000 + 1
            assert _commit(http, "k").json()["version"]["version"] == 2
            other = _commit(http, "k", {"files": FILES, "description": "new"})
            assert other.status_code == 409
    finally:
        services.close()


def test_keys_are_scoped_by_principal(services):
    """Until authentication lands every HTTP request acts as ``anonymous``; the scope by
    principal is the service's, checked here with two principals."""
    alice, bob = Principal("alice"), Principal("bob")
    idem = services.idempotency
    assert idem.begin(alice, "k", "POST /x", "f1").action == "run"
    assert idem.begin(bob, "k", "POST /x", "f2").action == "run"
    assert idem.begin(alice, "k", "POST /x", "f1").action == "wait"
    with pytest.raises(IdempotencyKeyReused):
        idem.begin(bob, "k", "POST /x", "f1")
    assert idem.begin(ANONYMOUS, "k", "POST /x", "f1").action == "run"
