"""Run one piece of work on many threads that start together (a barrier), for the tests
of concurrent writers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def at_once(n: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` for i in range(n), all released at the same moment; the results in
    order (the first exception is raised)."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))
