"""Adaptive micro-batching: concurrent requests are predicted in one call.

Each served model has one :class:`MicroBatcher` and one prediction thread.  A request
puts its checked input on the queue and awaits its own slice of the answer.  The
worker takes everything queued (up to ``max_rows`` rows) as one batch, and waits for
more, at most ``window`` seconds, only while there is evidence that more are coming:
requests received but not yet queued, or fewer queued than the number of requests
that were in the server at once in the last moment (``PEAK_HORIZON``).  So a lone
client's request is sent at once, a request is never held longer than the window,
and under load concurrent requests go together in one call: throughput grows with
concurrency for models whose cost barely depends on the number of rows (tree
ensembles, neural networks).

If a batched call fails, each request of the batch is retried alone, so one bad input
answers an error to its own sender only.

Predictions always run on the model's thread, never on the event loop: a request
predicted inline would hide the requests queued behind it in the sockets (the loop
reads them only after), and batching would collapse to one request at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from modelyard.flavors.signature import Prepared

__all__ = ["BatchResult", "MicroBatcher"]

#: How long the peak number of concurrent requests is remembered, in seconds.
PEAK_HORIZON = 0.25


class BatchResult:
    """One request's answer: its slice of the predictions, and the batch it rode in."""

    __slots__ = ("batch_requests", "output")

    def __init__(self, output: Any, batch_requests: int) -> None:
        self.output = output
        self.batch_requests = batch_requests


class MicroBatcher:
    def __init__(self, predict: Callable[[Any], Any], *, window: float = 0.002,
                 max_rows: int = 256, name: str = "model",
                 on_batch: Callable[[int, int, float], None] | None = None) -> None:
        self._predict = predict
        self.window = max(0.0, window)
        self.max_rows = max(1, max_rows)
        self.on_batch = on_batch
        self.queue: deque[tuple[Prepared, asyncio.Future[BatchResult]]] = deque()
        self.arriving = 0  # requests received for this model, not yet queued
        self.active = 0  # requests received and not yet answered
        self._peak = 0
        self._peak_at = 0.0
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._retired = False
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"predict-{name}")

    # -- requests ---------------------------------------------------------------------
    def enter(self) -> None:
        """A request for this model was received (its body may still be on the way)."""
        self.arriving += 1
        self.active += 1
        now = time.monotonic()
        if self.active >= self._peak or now - self._peak_at > PEAK_HORIZON:
            self._peak, self._peak_at = self.active, now

    def leave(self) -> None:
        """The request was answered (or refused)."""
        self.active -= 1
        self._close_if_done()

    def _expected(self) -> int:
        """How many requests a batch may expect: the recent peak of concurrency."""
        if time.monotonic() - self._peak_at > PEAK_HORIZON:
            return self.active
        return self._peak

    async def predict(self, prepared: Prepared) -> BatchResult:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[BatchResult] = loop.create_future()
        self.queue.append((prepared, fut))
        self._kick(loop)
        return await fut

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        self._wakeup.set()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())

    def run_sync(self, data: Any) -> Any:
        """Predict outside the event loop, on the model's own thread (warm-up)."""
        return self._executor.submit(self._predict, data).result()

    def retire(self) -> None:
        """After an atomic swap: answer every request that already chose this model
        (queued, or still sending its body), then release the thread."""
        self._retired = True
        if self._wakeup is not None:
            self._wakeup.set()
        self._close_if_done()

    def _close_if_done(self) -> None:
        if self._retired and self.active <= 0 and not self.queue and (
                self._task is None or self._task.done()):
            self._executor.shutdown(wait=False)

    # -- the worker -------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        try:
            while True:
                if not self.queue:
                    if self._retired:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                batch, rows = self._take([], 0)
                if self.window and rows < self.max_rows and (
                        self.arriving or len(batch) < self._expected()):
                    batch, rows = await self._gather(batch, rows, loop)
                await self._call(batch, rows, loop)
        finally:
            self._task = None
            self._close_if_done()

    def _take(self, batch: list[tuple[Prepared, asyncio.Future[BatchResult]]],
              rows: int) -> tuple[list[tuple[Prepared, asyncio.Future[BatchResult]]], int]:
        while self.queue:
            item = self.queue[0]
            if batch and rows + item[0].rows > self.max_rows:
                break
            self.queue.popleft()
            if item[1].cancelled():
                continue
            batch.append(item)
            rows += item[0].rows
        return batch, rows

    async def _gather(self, batch: list[Any], rows: int,
                      loop: asyncio.AbstractEventLoop) -> tuple[list[Any], int]:
        assert self._wakeup is not None
        deadline = loop.time() + self.window
        while rows < self.max_rows and (self.arriving or len(batch) < self._expected()):
            left = deadline - loop.time()
            if left <= 0:
                break
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), left)
            except TimeoutError:
                break
            batch, rows = self._take(batch, rows)
        return batch, rows

    async def _call(self, batch: list[tuple[Prepared, asyncio.Future[BatchResult]]],
                    rows: int, loop: asyncio.AbstractEventLoop) -> None:
        if not batch:
            return
        started = time.perf_counter()
        n = len(batch)
        try:
            data = batch[0][0].data if n == 1 else _concat([p.data for p, _ in batch])
            out = await loop.run_in_executor(self._executor, self._predict, data)
            parts = _split(out, [p.rows for p, _ in batch]) if n > 1 else [out]
        except Exception as exc:  # noqa: BLE001 - handed to the request that caused it
            if n == 1:
                _settle(batch[0][1], exc=exc)
                return
            parts = None
        if parts is None:  # the batch failed or its answer does not split by rows
            for prepared, fut in batch:
                await self._call([(prepared, fut)], prepared.rows, loop)
            return
        if self.on_batch:
            self.on_batch(n, rows, time.perf_counter() - started)
        for (_, fut), part in zip(batch, parts, strict=True):
            _settle(fut, BatchResult(part, n))


def _settle(fut: asyncio.Future[BatchResult], result: BatchResult | None = None,
            exc: BaseException | None = None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    elif result is not None:
        fut.set_result(result)
    else:
        fut.set_exception(RuntimeError("a batch ended without a result"))


def _concat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, np.ndarray):
        return np.concatenate(parts, axis=0)
    if hasattr(first, "iloc"):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    raise TypeError("cannot batch these inputs")


def _split(out: Any, sizes: list[int]) -> list[Any] | None:
    total = sum(sizes)
    try:
        if len(out) != total:
            return None
    except TypeError:
        return None
    cuts = np.cumsum([0, *sizes]).tolist()
    if isinstance(out, dict):
        return None
    if hasattr(out, "iloc"):
        return [out.iloc[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    return [out[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
