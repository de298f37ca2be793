"""`modelyard users|service-accounts|tokens|roles|login` end to end: real processes,
in process on a folder and over HTTP on a live server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, uri: str, ok: bool = True, stdin: str | None = None,
        **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "MODELYARD_TOKEN"}
    full.update(MODELYARD_URI=uri, **env)
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", *args], env=full,
                          input=stdin, capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_first_admin_in_process_then_the_folder_needs_no_credential(tmp_path: Path) -> None:
    folder = str(tmp_path / "registry")
    out = run("users", "create", "admin", "--admin", uri=folder)
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("my_") and "shown once" in out.stderr
    # In process, whoever opens the database acts as its owner.
    run("models", "create", "m", uri=folder)
    users = json.loads(run("--json", "users", "list", uri=folder).stdout)["users"]
    assert [u["name"] for u in users] == ["admin"] and users[0]["token"] is None
    refused = run("users", "create", "bob", "--password-stdin", uri=folder, stdin="short\n",
                  ok=False)
    assert refused.returncode == 1 and "at least 8" in refused.stderr


def test_cli_over_http(server_url: str, tmp_path: Path) -> None:
    out = run("users", "create", "root", "--admin", uri=server_url)
    root = out.stdout.strip().splitlines()[-1]
    denied = run("models", "list", uri=server_url, ok=False)
    assert denied.returncode == 1 and "authentication required" in denied.stderr

    auth = {"MODELYARD_TOKEN": root}
    run("users", "create", "alice", "--password-stdin", uri=server_url,
        stdin="alice-password\n", **auth)
    sa = run("service-accounts", "create", "ci-pipeline", uri=server_url, **auth)
    ci_token = sa.stdout.strip().splitlines()[-1]
    assert ci_token.startswith("my_")
    made = json.loads(run("--json", "tokens", "create", "--user", "alice", "--name", "laptop",
                          "--expires", "90d", "--scope", "read", uri=server_url, **auth).stdout)
    assert made["secret"].startswith(f"my_{made['id']}_") and made["scope"] == "read"
    listed = run("--json", "tokens", "list", "--user", "alice", uri=server_url, **auth).stdout
    assert made["id"] in listed and "laptop" in listed and made["secret"] not in listed
    assert "laptop" in run("tokens", "list", "--user", "alice", uri=server_url, **auth).stdout
    run("models", "create", "fraud-detection", uri=server_url, **auth)
    run("roles", "grant", "ml-platform", "maintainer", "--model", "fraud-detection",
        uri=server_url, **auth)
    run("roles", "grant", "alice", "editor", "--project", "default", uri=server_url, **auth)
    grants = json.loads(run("--json", "roles", "list", uri=server_url, **auth).stdout)["grants"]
    assert {(g["subject"], g["subject_kind"], g["role"]) for g in grants} == {
        ("ml-platform", "group", "maintainer"), ("alice", "user", "editor")}
    run("roles", "revoke", "alice", "--project", "default", uri=server_url, **auth)
    run("tokens", "revoke", made["id"], uri=server_url, **auth)
    gone = run("models", "list", uri=server_url, ok=False, MODELYARD_TOKEN=made["secret"])
    assert gone.returncode == 1 and "invalid credentials" in gone.stderr
    run("users", "disable", "alice", uri=server_url, **auth)
    run("users", "delete", "alice", uri=server_url, **auth)

    # login keeps the token in the user's config file, mode 0600.
    config = tmp_path / "config"
    run("login", server_url, "--token-stdin", uri=server_url, stdin=root + "\n",
        MODELYARD_CONFIG_DIR=str(config))
    saved = config / "credentials.json"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == {server_url: root}
    assert "fraud-detection" in run("models", "list", uri=server_url,
                                    MODELYARD_CONFIG_DIR=str(config)).stdout
    bad = run("login", server_url, "--token-stdin", uri=server_url, stdin="my_nope\n", ok=False,
              MODELYARD_CONFIG_DIR=str(tmp_path / "other"))
    assert bad.returncode == 1 and not (tmp_path / "other" / "credentials.json").exists()


@pytest.mark.parametrize("with_users", [False, True])
def test_server_start_up_line_says_the_mode(tmp_path: Path, with_users: bool) -> None:
    from tests.live import free_port

    home = tmp_path / "home"
    if with_users:
        run("users", "create", "admin", "--admin", uri=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(free_port()),
         "--home", str(home), "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "serving on" in line:
                break
        wanted = "auth: tokens and passwords required" if with_users else "open: no users defined"
        assert wanted in seen[-1], "".join(seen)
    finally:
        proc.terminate()
        proc.wait(15)


def test_server_beyond_loopback_refuses_without_users(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", "server", "--host", "0.0.0.0",
                           "--home", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "no users are defined" in proc.stderr
    assert "--insecure" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
