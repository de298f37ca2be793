"""A delivery worker with no active webhook polls slowly, and a webhook created in its
process wakes it at once."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import event

from modelyard.config import Settings
from modelyard.domain.entities import ANONYMOUS
from modelyard.domain.webhook_worker import DeliveryWorker, WorkerConfig
from modelyard.services import Services
from tests.webhooks.receiver import Receiver


def test_an_idle_worker_polls_slowly_and_a_new_webhook_wakes_it(db_url: str, tmp_path: Path):
    settings = Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": db_url,
                              "allow_webhook_hosts": "127.0.0.1"}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(services.store.engine, "before_cursor_execute", count)
    s = services.webhooks
    # An idle turn a minute apart: without the wake-up the webhook below would wait.
    worker = DeliveryWorker(s.webhooks, s.sender, services.clock,
                            WorkerConfig(poll=0.05, idle_poll=60))
    s.on_change(worker.wake)
    worker.start()
    try:
        with Receiver() as receiver:
            time.sleep(1.0)
            # One turn (active webhooks, due deliveries), then nothing for a minute;
            # at the busy rate a second would have been about forty statements.
            assert len(statements) <= 6, statements
            s.create(ANONYMOUS, url=receiver.url + "/ok", events=["model.created"],
                     project=None)
            services.registry.create_model(ANONYMOUS, "fraud")
            got = receiver.wait("/ok", 1, timeout=15)
            assert got[0]["json"]["event"] == "model.created"
    finally:
        worker.stop()
        services.close()
