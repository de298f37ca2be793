"""The CLI of governance against a live server: policy set/show, a transition that
opens a request, requests list/approve, alias history/rollback/swap, audit filters;
and no route edits or deletes an event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.domain.entities import ANONYMOUS
from modelyard.server.route_rules import RULES

POLICY = """\
stages: [dev, staging, production]
transitions:
  - {from: dev, to: staging}
  - from: staging
    to: production
    approvals: {count: 1, role: maintainer}
"""


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


def _cli(server_url: str, token: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MODELYARD_URI=server_url)
    env.pop("MODELYARD_TOKEN", None)
    if token:
        env["MODELYARD_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "modelyard.cli", *args],
                          capture_output=True, text=True, env=env, timeout=60)


def test_cli_end_to_end(server_url: str, services, model_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    with HttpClient(server_url, token=root.token) as c:
        c.create_project("risk")
        alice = c.create_user("alice", with_token=True).token
        c.grant_role("alice", "maintainer", project="risk")
        c.create_model("fraud", project="risk")
        c.register("fraud", model_dir)
        c.register("fraud", model_dir)
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.replace("to: staging}", "to: stagin}"))
    bad = _cli(server_url, root.token, "policy", "set", "risk", str(path))
    assert bad.returncode == 1 and "policy line 3: unknown stage 'stagin'" in bad.stderr
    path.write_text(POLICY)
    assert _cli(server_url, root.token, "policy", "set", "risk", str(path)).returncode == 0
    shown = _cli(server_url, root.token, "policy", "show", "risk")
    assert "approvals: {count: 1" in shown.stdout
    assert _cli(server_url, root.token, "versions", "stage", "fraud/1", "staging").returncode == 0
    opened = _cli(server_url, root.token, "versions", "stage", "fraud/1", "production")
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "request #1 opened: needs 1 approval from maintainer"
    listed = _cli(server_url, alice, "requests", "list", "--model", "fraud", "--open", "--json")
    assert [r["id"] for r in json.loads(listed.stdout)["requests"]] == [1]
    done = _cli(server_url, alice, "requests", "approve", "1", "--comment", "looks good")
    assert "fraud/1 is now in production" in done.stdout, done.stderr
    for args in (("alias", "set", "fraud", "champion", "1"), ("alias", "set", "fraud", "champion", "2"),
                 ("alias", "set", "fraud", "challenger", "1")):
        assert _cli(server_url, alice, *args).returncode == 0
    assert _cli(server_url, alice, "alias", "rollback", "fraud", "champion").stdout.strip() \
        == "fraud@champion -> 1"
    swapped = _cli(server_url, alice, "alias", "swap", "fraud", "champion", "challenger")
    assert swapped.returncode == 0, swapped.stderr
    history = _cli(server_url, alice, "alias", "history", "fraud", "champion", "--json")
    moves = json.loads(history.stdout)["moves"]
    assert [m["version"] for m in moves] == [1, 1, 2, 1]
    assert [m["via"] for m in moves][:2] == ["swap", "rollback"]
    audit = _cli(server_url, root.token, "audit", "--model", "fraud", "--user", "alice",
                 "--type", "alias.moved", "--since", "1h", "--json")
    events = json.loads(audit.stdout)["events"]
    assert events and {e["type"] for e in events} == {"alias.moved"}
    assert {e["actor"] for e in events} == {"alice"}
    types = {e["type"] for e in json.loads(_cli(server_url, root.token, "audit", "--json")
                                           .stdout)["events"]}
    assert {"request.opened", "request.approved", "stage.changed", "policy.set"} <= types
    assert _cli(server_url, root.token, "audit", "--since", "yesterday").returncode == 2


def test_no_route_edits_or_deletes_events(server_url: str, services) -> None:  # type: ignore[no-untyped-def]
    """Every route whose path speaks of events is a read; writing to them is refused.
    (ClearML's ``events.*`` are its metric reports, logged to runs, not the audit log.)"""
    event_routes = [(m, p) for (m, p) in RULES if "event" in p.lower()
                    and not p.startswith(("/api/2.0/mlflow/{", "/api/3.0/mlflow/{",
                                          "/ajax-api/", "/api/2.0/mlflow-artifacts/{",
                                          "/clearml/api/"))]
    assert event_routes == [("GET", "/api/v1/events")]
    with HttpClient(server_url) as c:
        c.create_model("fraud")
    before = httpx.get(server_url + "/api/v1/events").json()["events"]
    assert before
    eid = before[0]["id"]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for path in ("/api/v1/events", f"/api/v1/events/{eid}"):
            resp = httpx.request(method, server_url + path, json={"type": "x"},
                                 headers={"content-type": "application/json"})
            assert resp.status_code in (403, 404, 405), (method, path, resp.status_code)
    assert httpx.get(server_url + "/api/v1/events").json()["events"] == before
