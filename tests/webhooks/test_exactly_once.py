"""Several server processes on one database deliver each event exactly once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from modelyard.client.http import HttpClient


def test_two_server_processes_deliver_each_event_once(db_url, start_server, receiver):
    first = start_server(db_url, workers=2)
    second = start_server(db_url)  # a second server, its own worker, on the same database
    a, b = HttpClient(first), HttpClient(second)
    a.create_model("fraud")
    a.create_webhook(receiver.url + "/ok", ["model.tag_set"])
    n = 40

    def tag(i: int) -> None:
        (a if i % 2 else b).set_model_tag("fraud", f"k{i}", "v")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(tag, range(n)))
    got = receiver.wait("/ok", n, timeout=30)
    time.sleep(1.0)  # a duplicate would arrive by now
    got = receiver.on("/ok")
    ids = [r["json"]["event_id"] for r in got]
    assert len(ids) == n and len(set(ids)) == n
    a.close()
    b.close()
