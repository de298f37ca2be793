"""A webhook's signing secret is sealed at rest: the database holds no secret in clear,
deliveries are still signed with it, and a server given another key refuses to send
rather than sending unsigned."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from modelyard.client.http import HttpClient
from tests.webhooks.test_delivery import _verify

SECRET = "s3cret-only-the-receiver-knows"


def _stored(db_url: str) -> list[str]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as c:
            return [r[0] for r in c.execute(sa.text("SELECT secret FROM webhooks"))]
    finally:
        engine.dispose()


def test_secret_is_sealed_and_only_the_right_key_signs(db_url, start_server, receiver,
                                                       tmp_path, monkeypatch):
    url = start_server(db_url)
    c = HttpClient(url)
    c.create_model("fraud")
    hook = c.create_webhook(receiver.url + "/ok", ["model.tag_set"], project="default",
                            secret=SECRET)
    stored = _stored(db_url)
    assert len(stored) == 1 and stored[0].startswith("sealed:v1:")
    assert SECRET not in stored[0]

    sent = c.test_webhook(str(hook.id))
    assert sent.status == "succeeded", sent.log
    got = receiver.wait("/ok", 1)[0]
    assert _verify(SECRET, got["headers"], got["body"])

    r = httpx.patch(f"{url}/api/v1/webhooks/{hook.id}", json={"secret": "rotated-secret"})
    assert r.status_code == 200, r.text
    assert "rotated-secret" not in _stored(db_url)[0]

    # Another server on the same database with a key of its own cannot open it.
    monkeypatch.setenv("MODELYARD_SECRET_KEY_FILE", str(tmp_path / "other.key"))
    other = HttpClient(start_server(db_url))
    failed = other.test_webhook(str(hook.id))
    assert failed.status == "failed"
    assert "another server key" in (failed.log[-1].error or "")
    assert len(receiver.on("/ok")) == 1  # nothing went out unsigned
    c.close()
    other.close()
