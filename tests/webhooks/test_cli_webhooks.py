"""`modelyard webhooks ...` against a real server and receiver."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelyard.cli", "--uri", url, *args],
                          input=stdin, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_webhooks_from_the_command_line(db_url, start_server, receiver):
    url = start_server(db_url)
    made = _cli(url, "webhooks", "create", "--url", receiver.url + "/ok", "--events",
                "model_version.created,alias.moved,stage.changed,request.opened,"
                "request.approved,model.created", "--secret-stdin", stdin="s3cret\n")
    assert made.returncode == 0, made.stderr
    hook = made.stdout.split()[2]
    assert "s3cret" not in _cli(url, "webhooks", "list").stdout
    tested = _cli(url, "webhooks", "test", hook)
    assert tested.returncode == 0 and "succeeded (status 200)" in tested.stdout
    assert _cli(url, "models", "create", "fraud").returncode == 0
    assert len(receiver.wait("/ok", 2)) == 2
    shown = _cli(url, "--json", "webhooks", "deliveries", hook)
    found = json.loads(shown.stdout)["deliveries"]
    assert {d["event"] for d in found} == {"model_version.created", "model.created"}
    bad = _cli(url, "webhooks", "create", "--url", "http://10.0.0.1/", "--events", "nope.x")
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
    assert _cli(url, "webhooks", "delete", hook).returncode == 0
    assert _cli(url, "webhooks", "deliveries", hook).returncode == 1
