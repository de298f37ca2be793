"""The first writes to a new registry, all at once: the default project is created
lazily by whichever comes first, and every one of them succeeds (found by running two
servers behind a proxy: concurrent first registrations answered "project 'default'
already exists")."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from modelyard.client.local import LocalClient

N = 8


def test_concurrent_first_models_all_succeed(services) -> None:
    client = LocalClient("test", services=services)
    barrier = threading.Barrier(N)

    def create(i: int) -> str:
        barrier.wait()
        return client.create_model(f"first-{i}").name

    with ThreadPoolExecutor(N) as pool:
        names = list(pool.map(create, range(N)))
    assert sorted(names) == sorted(f"first-{i}" for i in range(N))
    assert [p.name for p in client.list_projects()] == ["default"]
