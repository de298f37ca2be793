"""Micro-batching, alias following with no failed request, traffic split, shadow
traffic, deployments and the pickle opt-in, observed from outside the server."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import modelyard
from modelyard.errors import PermissionDenied
from tests.serving.helpers import ServingServer
from tests.serving.models import CALLS, Constant, RowSum


def _instances(rows: list[list[float]]) -> dict:
    return {"instances": rows}


def _versions(registry, name: str, values: tuple[int, ...], tag: str,  # type: ignore[no-untyped-def]
              alias: str = "production") -> None:
    """One version per value, each answering its value; ``alias`` on the first."""
    for value in values:
        modelyard.log_model(Constant(value, tag=tag), name=name, input_example=np.ones((1, 2)),
                            client=registry)
    registry.set_alias(name, alias, 1)


def test_concurrent_requests_are_batched_and_answered_individually(registry):  # type: ignore[no-untyped-def]
    tag = "batching"
    CALLS[tag].clear()
    modelyard.log_model(RowSum(tag, delay=0.05), name="slow", input_example=np.ones((2, 3)),
                        client=registry)
    with ServingServer(registry, target="slow/1", batch_window_ms=20) as s:
        CALLS[tag].clear()  # forget the warm-up
        n = 24

        def one(i: int) -> tuple[int, float]:
            r = s.http.post("/invocations", json=_instances([[i, 1, 1]]))
            assert r.status_code == 200, r.text
            return i, r.json()["predictions"][0]

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(one, range(n)))
        assert all(pred == i + 2 for i, pred in answers)  # each got its own row back
        calls = CALLS[tag]
        assert sum(calls) == n and max(calls) > 1 and len(calls) < n
        batches = s.metric('modelyard_batch_size_count{version="slow/1"}')
        assert batches == len(calls)
        assert s.metric('modelyard_batch_size_sum{version="slow/1"}') == n


def test_concurrent_clients_of_a_fast_model_share_calls(registry):  # type: ignore[no-untyped-def]
    """A model that costs ~4 ms whatever the rows (like a 100-tree forest): 8 clients
    in a loop must keep sharing calls, never fall into one call per request."""
    tag = "fast-shared"
    modelyard.log_model(RowSum(tag, delay=0.004), name="forest-like",
                        input_example=np.ones((1, 3)), client=registry)
    with ServingServer(registry, target="forest-like/1") as s:
        CALLS[tag].clear()

        def client(_: int) -> None:
            with s.http.__class__(base_url=s.url, timeout=10) as h:
                for i in range(25):
                    r = h.post("/invocations", json=_instances([[i, 0, 0]]))
                    assert r.status_code == 200 and r.json() == {"predictions": [i]}

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(client, range(8)))
        calls = CALLS[tag]
        assert sum(calls) == 200
        assert sum(calls) / len(calls) > 2, calls


def test_a_lone_request_is_not_held_for_the_window(registry):  # type: ignore[no-untyped-def]
    modelyard.log_model(RowSum("lone"), name="fast", input_example=np.ones((1, 3)),
                        client=registry)
    with ServingServer(registry, target="fast/1", batch_window_ms=500) as s:
        s.http.post("/invocations", json=_instances([[1, 2, 3]]))
        started = time.perf_counter()
        for _ in range(5):
            assert s.http.post("/invocations", json=_instances([[1, 2, 3]])).status_code == 200
        assert (time.perf_counter() - started) / 5 < 0.25  # far below the 500 ms window


def test_one_bad_request_in_a_batch_fails_alone(registry):  # type: ignore[no-untyped-def]
    modelyard.log_model(RowSum("mixed", delay=0.02), name="m", client=registry)
    with ServingServer(registry, target="m/1", batch_window_ms=20) as s:
        def one(i: int) -> int:
            rows = [[1, 2, 3]] if i % 4 else [["x", 1, 2]]
            return s.http.post("/invocations", json=_instances(rows)).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(one, range(16)))
        assert codes.count(400) == 4 and codes.count(200) == 12


def test_following_an_alias_swaps_versions_without_a_failed_request(registry):  # type: ignore[no-untyped-def]
    _versions(registry, "fraud", (1, 2), "follow")
    with ServingServer(registry, target="models:/fraud@production", poll_seconds=0.1) as s:
        seen: list[tuple[str, int]] = []
        failures: list[str] = []
        stop = threading.Event()

        def hammer() -> None:
            with s.http.__class__(base_url=s.url, timeout=10) as h:
                deadline = time.time() + 20
                while not stop.is_set() and time.time() < deadline:
                    r = h.post("/invocations", json=_instances([[0.5, 0.5]]))
                    if r.status_code != 200:
                        failures.append(r.text)
                        continue
                    seen.append((r.headers["x-modelyard-version"], r.json()["predictions"][0]))

        threads = [threading.Thread(target=hammer) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.3)
        registry.set_alias("fraud", "production", 2)
        deadline = time.time() + 15
        while time.time() < deadline and not any(v == "fraud/2" for v, _ in seen[-5:]):
            time.sleep(0.05)
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
        assert failures == []
        assert ("fraud/1", 1) in seen and ("fraud/2", 2) in seen
        assert all((v, p) in (("fraud/1", 1), ("fraud/2", 2)) for v, p in seen)
        assert s.http.get("/version").json()["routes"][0]["version"] == "2"
        assert s.metric('modelyard_model_swaps_total{route="production"}') == 1


def test_a_version_that_fails_to_load_is_not_swapped_in(registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    modelyard.log_model(Constant(1), name="m", client=registry)
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    modelyard.log_model(model, name="m", serialization="pickle", client=registry)
    registry.set_alias("m", "production", 1)
    with ServingServer(registry, target="m@production", poll_seconds=0.05) as s:
        registry.set_alias("m", "production", 2)
        route = s.runtime.routes[0]
        assert s.runtime.check(route) is False  # refused: pickle without --trust-pickle
        r = s.http.post("/invocations", json=_instances([[1, 2, 3, 4]]))
        assert r.status_code == 200 and r.headers["x-modelyard-version"] == "m/1"


def test_pickle_models_need_the_flag(registry):  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(X, y)
    modelyard.log_model(model, name="p", serialization="pickle", input_example=X[:2],
                        client=registry)
    with pytest.raises(PermissionDenied, match="--trust-pickle"), \
            ServingServer(registry, target="p/1"):
        pass
    with ServingServer(registry, target="p/1", trust_pickle=True) as s:
        r = s.http.post("/invocations", json=_instances(X[:3].tolist()))
        assert r.json()["predictions"] == model.predict(X[:3]).tolist()


def test_traffic_split_and_shadow(registry):  # type: ignore[no-untyped-def]
    for value in (1, 2, 3):
        modelyard.log_model(Constant(value, tag=f"split{value}"), name="fraud", client=registry)
    registry.set_alias("fraud", "production", 1)
    registry.set_alias("fraud", "challenger", 2)
    registry.set_alias("fraud", "candidate", 3)
    CALLS["split3"].clear()
    with ServingServer(registry, target="models:/fraud@production",
                       routes=(("production", 50.0), ("challenger", 50.0)),
                       shadow="candidate") as s:
        counts = {"fraud/1": 0, "fraud/2": 0}
        for _ in range(120):
            r = s.http.post("/invocations", json=_instances([[1.0]]))
            assert r.status_code == 200
            version = r.headers["x-modelyard-version"]
            counts[version] += 1
            assert r.json()["predictions"] == [int(version[-1])]  # never the shadow's 3
            assert r.headers["x-modelyard-route"] in ("production", "challenger")
        assert counts["fraud/1"] > 25 and counts["fraud/2"] > 25
        deadline = time.time() + 5
        while time.time() < deadline and len(CALLS["split3"]) < 120:
            time.sleep(0.02)
        assert sum(CALLS["split3"]) == 120
        ok = 'modelyard_shadow_requests_total{outcome="ok"'
        while time.time() < deadline and s.metric(ok) < 120:
            time.sleep(0.02)
        assert s.metric(ok) == 120
        shadow = s.http.get("/version").json()["shadow"]
        assert shadow["version"] == "3" and shadow["ref"] == "fraud@candidate"


def test_deployments_are_recorded_and_ended(registry):  # type: ignore[no-untyped-def]
    if not hasattr(registry, "record_deployment"):
        pytest.skip("this registry client has no deployments yet")
    _versions(registry, "fraud", (1, 2), "deploy")
    with ServingServer(registry, target="fraud@production", poll_seconds=60,
                       environment="test") as s:
        active = registry.list_deployments(model="fraud")
        assert [(d.version, d.endpoint) for d in active] == [(1, s.url)]
        registry.set_alias("fraud", "production", 2)
        assert s.runtime.check(s.runtime.routes[0]) is True
        deadline = time.time() + 5
        while time.time() < deadline and [d.version for d in
                                          registry.list_deployments(model="fraud")] != [2]:
            time.sleep(0.05)
        assert [d.version for d in registry.list_deployments(model="fraud")] == [2]
    assert registry.list_deployments(model="fraud") == []
    assert len(registry.list_deployments(model="fraud", active_only=False)) == 2


def test_a_request_still_sending_its_body_during_a_swap_is_answered(registry):  # type: ignore[no-untyped-def]
    import json
    import socket

    _versions(registry, "m", (1, 2), "slowbody")
    with ServingServer(registry, target="m@production", poll_seconds=0.05) as s:
        body = json.dumps({"instances": [[1.0, 2.0]]}).encode()
        with socket.create_connection(("127.0.0.1", s.port), timeout=10) as sock:
            sock.sendall(b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body[:5])
            time.sleep(0.2)  # the request has chosen version 1 and waits for its body
            registry.set_alias("m", "production", 2)
            deadline = time.time() + 10
            while time.time() < deadline and \
                    s.http.get("/version").json()["routes"][0]["version"] != "2":
                time.sleep(0.02)
            assert s.http.post("/invocations", json={"instances": [[1.0, 2.0]]}).json() == \
                {"predictions": [2]}
            time.sleep(0.2)  # the old version's worker has drained its queue
            sock.sendall(body[5:])
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), reply
        assert b"x-modelyard-version: m/1" in head.lower()
        assert json.loads(payload) == {"predictions": [1]}
