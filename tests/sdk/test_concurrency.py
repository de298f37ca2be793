"""Concurrent writers on one model: numbers without gaps or duplicates, atomic aliases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def test_sixteen_concurrent_registrations(client, model_dir):
    client.create_model("busy")
    barrier = threading.Barrier(16)

    def register(_: int) -> int:
        barrier.wait()
        return client.register("busy", model_dir, create_model=False).version

    with ThreadPoolExecutor(16) as pool:
        numbers = sorted(pool.map(register, range(16)))
    assert numbers == list(range(1, 17))
    listed = [v.version for v in client.search_versions("name = 'busy'", max_results=100)]
    assert sorted(listed) == list(range(1, 17))


def test_concurrent_alias_moves_land_on_one_of_them(client, model_dir):
    for _ in range(2):
        client.register("m", model_dir)
    for _ in range(5):
        barrier = threading.Barrier(2)

        def move(version: int, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            client.set_alias("m", "production", version)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(move, [1, 2]))
        assert client.resolve("m@production").version in (1, 2)
        assert client.get_model("m").aliases["production"] in (1, 2)
