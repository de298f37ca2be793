"""The web UI's webhooks pages: the list, one webhook with its delivery log (each
attempt's status code), and the form that sends a test delivery (refused without the
page's form token)."""

from __future__ import annotations

import re

import httpx
import pytest

from modelyard.client.http import HttpClient

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_webhooks_pages_show_deliveries_and_send_a_test(db_url, start_server, receiver):
    url = start_server(db_url)
    with HttpClient(url) as c:
        c.create_model("fraud")
        hook = c.create_webhook(receiver.url + "/ok", ["model.tag_set"], project="default",
                                name="ci-hook")
        c.set_model_tag("fraud", "team", "risk")
    receiver.wait("/ok", 1)
    with httpx.Client(base_url=url, timeout=30) as http:
        listing = http.get("/webhooks")
        assert listing.status_code == 200 and "ci-hook" in listing.text
        assert receiver.url + "/ok" in listing.text
        detail = http.get(f"/webhooks/{hook.id}")
        assert detail.status_code == 200
        assert "model.tag_set" in detail.text and ": 200 in" in detail.text  # the attempt log
        assert http.post(f"/webhooks/{hook.id}/test", data={"x": "1"}).status_code == 403
        token = re.search(r'name="csrf_token" value="([^"]+)"', detail.text)
        assert token is not None
        sent = http.post(f"/webhooks/{hook.id}/test", data={"csrf_token": token[1]})
        assert sent.status_code == 303 and sent.headers["location"] == f"/webhooks/{hook.id}"
        receiver.wait("/ok", 2)
        assert http.get("/webhooks/999999").status_code == 404
