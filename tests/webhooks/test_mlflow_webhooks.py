"""MLflow 3's webhook API against modelyard, and MLflow's own signing code agreeing
with the signature modelyard sends."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_mlflow_client_manages_webhooks_and_receives_signed_events(db_url, start_server,
                                                                 receiver):
    from mlflow import MlflowClient
    from mlflow.webhooks.delivery import _generate_hmac_signature

    url = start_server(db_url)
    c = MlflowClient(tracking_uri=url, registry_uri=url)
    hook = c.create_webhook(name="ci", url=receiver.url + "/ok",
                            events=["registered_model.created", "model_version_tag.set"],
                            description="ci hook", secret="s3cret")
    assert hook.name == "ci" and hook.status.value == "ACTIVE"
    assert sorted(str(e) for e in hook.events) == ["model_version_tag.set",
                                                   "registered_model.created"]
    assert [w.webhook_id for w in c.list_webhooks()] == [hook.webhook_id]
    assert c.get_webhook(hook.webhook_id).description == "ci hook"
    updated = c.update_webhook(hook.webhook_id, description="renamed", status="DISABLED")
    assert updated.status.value == "DISABLED" and updated.description == "renamed"
    c.update_webhook(hook.webhook_id, status="ACTIVE")

    c.create_registered_model("fraud")
    got = receiver.wait("/ok", 1)
    assert len(got) == 1
    r = got[0]
    h = r["headers"]
    expected = _generate_hmac_signature("s3cret", h["x-mlflow-delivery-id"],
                                        h["x-mlflow-timestamp"], r["body"])
    assert h["x-mlflow-signature"] == expected
    assert r["json"]["entity"] == "registered_model" and r["json"]["action"] == "created"
    assert r["json"]["data"]["name"] == "fraud"

    result = c.test_webhook(hook.webhook_id)
    assert result.success and result.response_status == 200
    c.delete_webhook(hook.webhook_id)
    assert list(c.list_webhooks()) == []
