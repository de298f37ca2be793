"""Several server processes on one database deliver each event exactly once.

The guarantee is about the servers: each event becomes one delivery, and a delivery
is sent again only after an attempt that failed (a timeout, say: the receiver may
have had it; receivers tell by the delivery id).  So the test counts what the
receiver got per delivery id against the attempts each delivery records."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from modelyard.client.http import HttpClient


def test_two_server_processes_deliver_each_event_once(db_url, start_server, receiver):
    # A receiver on a loaded machine can take more than the suite's one second; a
    # timed-out attempt is retried by design, which is not what this test is about.
    first = start_server(db_url, workers=2, timeout_s=10)
    second = start_server(db_url, timeout_s=10)  # its own worker, on the same database
    a, b = HttpClient(first), HttpClient(second)
    a.create_model("fraud")
    hook = a.create_webhook(receiver.url + "/ok", ["model.tag_set"])
    n = 40

    def tag(i: int) -> None:
        (a if i % 2 else b).set_model_tag("fraud", f"k{i}", "v")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(tag, range(n)))
    receiver.wait("/ok", n, timeout=30)
    time.sleep(1.0)  # a duplicate would arrive by now
    deadline = time.time() + 30  # each attempt is recorded once its batch is sent
    while True:
        deliveries = a.webhook_deliveries(str(hook.id), max_results=2 * n)
        if {d.status for d in deliveries} == {"succeeded"} or time.time() > deadline:
            break
        time.sleep(0.1)
    got = receiver.on("/ok")
    a.close()
    b.close()

    assert len(deliveries) == n and {d.status for d in deliveries} == {"succeeded"}
    assert len({d.event_id for d in deliveries}) == n  # one delivery per event
    sent = Counter(r["headers"]["x-mlflow-delivery-id"] for r in got)
    attempts = {d.delivery_uuid: d.attempts for d in deliveries}
    assert set(sent) == set(attempts)
    # Never sent more often than its attempts say: a second send follows a failure.
    assert {u: c for u, c in sent.items() if c > attempts[u]} == {}
    assert len({r["json"]["event_id"] for r in got}) == n
