"""The delivery worker inside each server process.

Every ``poll`` seconds while some webhook is active (every ``idle_poll`` seconds while
none is, or at once when this process creates or changes one) it turns new events into
deliveries (``scan``: one process wins each batch, by the cursor's conditional UPDATE)
and claims due deliveries under a lease (``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL/MySQL, a conditional UPDATE on SQLite), then sends them from a small thread
pool.  Several server processes on one database deliver each event once: a delivery
belongs to whoever holds its lease, and a lease that outlives a dead process expires so
another picks the delivery up.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from modelyard.domain.ports import Clock
from modelyard.domain.entities import Event
from modelyard.domain.webhook_records import NewDelivery, Sender, WebhookRecord, WebhookStore
from modelyard.domain.webhooks import build, send
from modelyard.errors import ModelyardError

log = logging.getLogger("modelyard.webhooks")


@dataclass(frozen=True)
class WorkerConfig:
    poll: float = 0.05
    # With no active webhook there is nothing to scan for: a server nobody subscribed to
    # would otherwise run two queries twenty times a second, on every server process.
    # A webhook created here wakes the worker at once; one created through another
    # server is seen within this time, and misses nothing: its cursor starts at the
    # events that were there when it was created.
    idle_poll: float = 1.0
    timeout: float = 10.0
    retry_for_s: float = 3600.0
    backoff_s: float = 1.0
    threads: int = 8
    batch: int = 200


class DeliveryWorker:
    def __init__(self, webhooks: WebhookStore, sender: Sender, clock: Clock,
                 config: WorkerConfig) -> None:
        self.webhooks, self.sender, self.clock, self.config = webhooks, sender, clock, config
        self.owner = uuid.uuid4().hex
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._idle = False  # no active webhook at the last turn
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(config.threads, thread_name_prefix="webhook")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-worker", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run a turn now (a webhook was created or changed in this process)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except ModelyardError as exc:  # the database is away; try again later
                log.warning("webhook worker: %s", exc.code)
                busy = 0
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad turn
                log.warning("webhook worker error: %s", type(exc).__name__)
                busy = 0
            if not busy:
                self._wake.wait(self.config.idle_poll if self._idle else self.config.poll)
                self._wake.clear()

    def run_once(self) -> int:
        """Scan, claim and send once; answers how many deliveries were sent."""
        active = self.webhooks.active()
        self._idle = not active
        for webhook in active:
            self.webhooks.scan(webhook, self.config.batch, partial(_build, webhook))
        lease_ms = int((self.config.timeout + 30) * 1000)
        claimed = self.webhooks.claim(self.owner, self.clock.now_ms(), lease_ms,
                                      self.config.batch)
        if not claimed:
            return 0
        retry_ms, backoff_ms = int(self.config.retry_for_s * 1000), int(self.config.backoff_s * 1000)
        futures = [self._pool.submit(send, self.sender, c, self.clock.now_ms,
                                     retry_until_ms=retry_ms, backoff_ms=backoff_ms)
                   for c in claimed]
        self.webhooks.finish([f.result() for f in futures], self.owner)
        return len(claimed)


def _build(webhook: WebhookRecord, event: Event) -> NewDelivery | None:
    return build(webhook, event)
