"""Webhook deliveries from the event outbox to a real receiver on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from modelyard.client.http import HttpClient


def _verify(secret: str, headers: dict[str, str], body: str) -> bool:
    signed = f"{headers['x-mlflow-delivery-id']}.{headers['x-mlflow-timestamp']}.{body}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return hmac.compare_digest(expected, headers["x-mlflow-signature"])


def _wait_status(client: HttpClient, hook: str, status: str, timeout: float = 20) -> list:
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = client.webhook_deliveries(hook)
        if found and all(d.status == status for d in found):
            return found
        time.sleep(0.05)
    return client.webhook_deliveries(hook)


def test_signed_delivery_retries_timeouts_and_redirects(db_url, start_server, receiver):
    url = start_server(db_url)
    c = HttpClient(url)
    c.create_model("fraud")
    ok = c.create_webhook(receiver.url + "/ok", ["model_version.created", "model.tag_set"],
                          project="default", secret="s3cret")
    flaky = c.create_webhook(receiver.url + "/flaky", ["model.tag_set"], project="default")
    hang = c.create_webhook(receiver.url + "/hang", ["model.tag_set"], project="default")
    redirect = c.create_webhook(receiver.url + "/redirect", ["model.tag_set"], project="default")
    assert ok.has_secret and "secret" not in ok.to_dict()
    c.set_model_tag("fraud", "team", "risk")

    got = receiver.wait("/ok", 1)
    assert len(got) == 1
    r = got[0]
    assert _verify("s3cret", r["headers"], r["body"])
    assert not _verify("other", r["headers"], r["body"])
    assert r["json"]["event"] == "model.tag_set" and r["json"]["data"]["name"] == "fraud"
    assert r["json"]["entity"] == "model" and r["json"]["action"] == "tag_set"
    assert "x-mlflow-signature" not in receiver.wait("/flaky", 1)[0]["headers"]

    # fails twice, then succeeds: three attempts, the same delivery id each time
    assert len(receiver.wait("/flaky", 3)) == 3
    done = _wait_status(c, str(flaky.id), "succeeded")
    assert done[0].status == "succeeded" and done[0].attempts == 3
    assert [a.status_code for a in done[0].log] == [500, 500, 200]
    assert done[0].log[0].excerpt == "not yet"
    ids = {x["headers"]["x-mlflow-delivery-id"] for x in receiver.on("/flaky")}
    assert len(ids) == 1

    # a receiver that hangs: each attempt times out after 1 s and is recorded as such
    pending = c.webhook_deliveries(str(hang.id))
    deadline = time.time() + 10
    while time.time() < deadline and not (pending and pending[0].attempts >= 1):
        time.sleep(0.1)
        pending = c.webhook_deliveries(str(hang.id))
    assert pending[0].status in ("pending", "failed")
    assert pending[0].log[0].status_code is None and pending[0].log[0].duration_ms < 2500
    assert pending[0].log[0].error

    # a redirect (to the metadata address) is not followed: recorded, retried, never 2xx
    deadline = time.time() + 10
    seen = c.webhook_deliveries(str(redirect.id))
    while time.time() < deadline and not (seen and seen[0].attempts >= 1):
        time.sleep(0.1)
        seen = c.webhook_deliveries(str(redirect.id))
    assert seen[0].status != "succeeded"
    assert seen[0].log[0].status_code == 302 and "redirect" in (seen[0].log[0].error or "")
    assert len(receiver.on("/redirect")) >= 1

    # test ID: one attempt now, answered with the receiver's reply
    t = c.test_webhook(str(ok.id))
    assert t.status == "succeeded" and t.log[-1].excerpt == "thanks"
    c.delete_webhook(str(ok.id))
    assert str(ok.id) not in {str(w.id) for w in c.list_webhooks()}
    c.close()


def test_private_addresses_are_refused_unless_allowed(db_url, start_server, receiver):
    url = start_server(db_url, allow="")
    c = HttpClient(url)
    for target in (receiver.url + "/ok", "http://169.254.169.254/", "http://10.1.2.3/",
                   "http://[::1]:9/", "http://localhost:9/"):
        try:
            c.create_webhook(target, ["model.created"])
        except Exception as exc:  # noqa: BLE001 - the error type is the client's
            assert "not allowed" in str(exc)
        else:
            raise AssertionError(f"{target} was accepted")
    assert c.list_webhooks() == []
    c.close()
