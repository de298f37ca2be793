"""Lifecycle governance through the SDK (both transports) and REST: project policies
validated with line numbers, gates naming the failing condition and the actual values,
approvals that perform the transition, protected aliases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelyard.client.http import HttpClient
from modelyard.errors import ApprovalRequired, Conflict, InvalidParameter, PermissionDenied

POLICY = """\
stages: [dev, qa, staging, production, retired]
initial: dev
transitions:
  - {from: dev, to: qa}
  - from: qa
    to: staging
    gates: "metrics.auc >= 0.92 AND tags.bias_review = 'passed'"
  - from: staging
    to: production
    gates: "metrics.auc >= 0.95"
    approvals: {count: 2, role: maintainer, allow_requester: false}
    archive_previous: true
  - {from: [dev, qa, staging, production], to: retired}
max_versions_in_stage: {production: 2}
protected_aliases:
  production: {only_via_transition: staging->production}
  champion: {role: admin}
"""


def _register(client, model_dir: Path, auc: float, review: str = "passed") -> int:  # type: ignore[no-untyped-def]
    v = client.register("fraud", model_dir, metrics={"auc": auc}, tags={"bias_review": review})
    return int(v.version)


def test_policy_is_validated_with_the_line(client) -> None:  # type: ignore[no-untyped-def]
    client.create_project("risk")
    bad = POLICY.replace("to: staging\n", "to: stagin\n")
    with pytest.raises(InvalidParameter, match=r"policy line 6: unknown stage 'stagin'"):
        client.set_policy("risk", bad)
    with pytest.raises(InvalidParameter, match=r"policy line 7: gates: "):
        client.set_policy("risk", POLICY.replace("metrics.auc >= 0.92", "metrics.auc >>"))
    assert client.get_policy("risk").data["custom"] is False
    doc = client.set_policy("risk", POLICY)
    assert doc.source == POLICY
    assert client.get_policy("risk").data["initial"] == "dev"


def test_gates_and_approvals(client, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    client.create_project("risk")
    client.set_policy("risk", POLICY)
    client.create_model("fraud", project="risk")
    low = _register(client, model_dir, 0.90)
    assert client.get_version("fraud", low).stage == "dev"
    client.transition_stage("fraud", low, "QA")
    with pytest.raises(Conflict) as err:
        client.transition_stage("fraud", low, "staging")
    assert "metrics.auc >= 0.92" in str(err.value) and "0.9" in str(err.value)
    with pytest.raises(InvalidParameter, match="not allowed"):
        client.transition_stage("fraud", low, "production")

    good = _register(client, model_dir, 0.97)
    client.transition_stage("fraud", good, "qa")
    client.transition_stage("fraud", good, "staging")
    assert client.resolve("fraud/STAGING").version == good
    with pytest.raises(ApprovalRequired) as opened:
        client.transition_stage("fraud", good, "production")
    assert "needs 2 approvals from maintainer" in str(opened.value)
    rid = opened.value.request_id
    assert rid is not None
    req = client.get_request(rid)
    assert req.status == "open" and req.remaining == 2 and "waiting" in req.blocked
    assert [r.id for r in client.list_requests(model="fraud", open_only=True).items] == [rid]
    # open mode: every actor is the same anonymous principal, the requester
    with pytest.raises(PermissionDenied, match="requester"):
        client.approve_request(rid)
    client.cancel_request(rid)
    assert client.get_request(rid).status == "cancelled"


def test_stage_selector_resolves_under_the_project_policy(client, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    client.create_project("risk")
    client.set_policy("risk", POLICY)
    client.create_model("fraud", project="risk")
    v = _register(client, model_dir, 0.99)
    assert client.resolve("models:/fraud/Dev").version == v
    with pytest.raises(Exception, match="unknown stage"):
        client.resolve("fraud/Staging-ish")


def test_protected_aliases(client, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    client.create_project("risk")
    client.set_policy("risk", POLICY)
    client.create_model("fraud", project="risk")
    v = _register(client, model_dir, 0.99)
    with pytest.raises(PermissionDenied, match="only through the transition staging -> production"):
        client.set_alias("fraud", "production", v)
    client.set_alias("fraud", "champion", v)  # open mode: the local admin
    client.set_alias("fraud", "free", v)


def test_mlflow_envelope_names_the_request(server_url: str, model_dir: Path) -> None:
    import httpx

    with HttpClient(server_url) as c:
        c.create_project("risk")
        c.set_policy("risk", POLICY)
        c.create_model("fraud", project="risk")
        v = _register(c, model_dir, 0.99)
        c.transition_stage("fraud", v, "qa")
        c.transition_stage("fraud", v, "staging")
    resp = httpx.post(server_url + "/api/2.0/mlflow/model-versions/transition-stage",
                      json={"name": "fraud", "version": str(v), "stage": "production",
                            "archive_existing_versions": False})
    body = resp.json()
    assert resp.status_code == 409 and body["error_code"] == "INVALID_STATE"
    assert body["message"].startswith("request #") and "needs 2 approvals" in body["message"]
    assert body["request_id"]


def test_rest_policy_errors_and_alias_at_iso(http, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    h = {"content-type": "application/json"}
    http.post("/api/v1/projects", json={"name": "risk"}, headers=h)
    bad = http.put("/api/v1/projects/risk/policy", json={"source": "stages: [a\n"}, headers=h)
    body = bad.json()
    assert bad.status_code == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"].startswith("policy line ") and body["request_id"]
    assert http.get("/api/v1/projects/nope/policy").status_code == 404
    with HttpClient(str(http.base_url)) as c:
        c.create_model("fraud")
        c.register("fraud", model_dir)
        c.set_alias("fraud", "production", 1)
        since = c.alias_history("fraud", "production").items[0].valid_from
    iso = datetime.fromtimestamp((since + 5) / 1000, UTC).isoformat().replace("+00:00", "Z")
    found = http.get("/api/v1/models/fraud/aliases/production", params={"at": iso})
    assert found.status_code == 200 and found.json()["version"]["version"] == 1
    early = http.get("/api/v1/models/fraud/aliases/production",
                     params={"at": "2000-01-01T00:00:00Z"})
    assert early.status_code == 404
    naive = http.get("/api/v1/models/fraud/aliases/production", params={"at": "2026-01-01T00:00"})
    assert naive.status_code == 400 and "time zone" in naive.json()["message"]
    moves = http.get("/api/v1/models/fraud/aliases/production/history").json()["moves"]
    assert moves[0]["version"] == 1 and moves[0]["valid_to"] is None
    events = http.get("/api/v1/events", params={"types": "alias.moved", "user": "anonymous",
                                                "since": since - 1}).json()["events"]
    assert [e["type"] for e in events] == ["alias.moved"]
