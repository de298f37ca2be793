"""The CLI end to end: real processes, real registry (in-process folder and live server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, uri: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODELYARD_URI": uri}
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def folder(tmp_path: Path) -> str:
    return str(tmp_path / "registry")


def test_register_alias_download_flow(folder, model_dir, tmp_path):
    out = run("versions", "register", "fraud", str(model_dir), "--tag", "team=risk",
              "--description", "first", uri=folder)
    assert out.stdout.strip() == "1"
    assert run("versions", "register", "fraud", str(model_dir), uri=folder).stdout.strip() == "2"
    run("alias", "set", "fraud", "production", "1", uri=folder)
    dest = tmp_path / "out"
    run("versions", "download", "fraud@production", str(dest), uri=folder)
    assert (dest / "weights" / "w.bin").read_bytes() == (model_dir / "weights" / "w.bin").read_bytes()
    data = json.loads(run("--json", "versions", "files", "fraud/2", uri=folder).stdout)
    assert {f["path"] for f in data["files"]} == {"MLmodel", "weights/w.bin"}
    models = json.loads(run("--json", "models", "list", "--filter", "tags.team = 'risk'",
                            uri=folder).stdout)
    assert models["models"] == []  # the tag was set on the version, not the model
    found = json.loads(run("--json", "versions", "search", "tags.team = 'risk'",
                           uri=folder).stdout)
    assert [(v["model"], v["version"]) for v in found["versions"]] == [("fraud", 1)]
    assert run("versions", "cat", "fraud/1", "MLmodel", uri=folder).stdout == "flavor: test\n"


def test_stage_delete_restore_and_events(folder, model_dir):
    run("versions", "register", "m", str(model_dir), uri=folder)
    run("versions", "register", "m", str(model_dir), uri=folder)
    run("versions", "stage", "m/1", "Production", uri=folder)
    run("versions", "stage", "m/2", "production", "--archive-existing", uri=folder)
    shown = json.loads(run("--json", "versions", "show", "m/1", uri=folder).stdout)
    assert shown["stage"] == "Archived"
    run("versions", "delete", "m/2", uri=folder)
    assert run("versions", "show", "m/2", uri=folder, ok=False).returncode == 1
    run("versions", "restore", "m/2", uri=folder)
    events = json.loads(run("--json", "events", uri=folder).stdout)["events"]
    assert events[0]["type"] == "version.restored"


def test_events_follow_a_model_through_renames(folder, model_dir):
    run("versions", "register", "fraud", str(model_dir), uri=folder)
    run("models", "rename", "fraud", "card-fraud", uri=folder)
    run("versions", "register", "fraud", str(model_dir), uri=folder)
    old = json.loads(run("--json", "events", "--model", "card-fraud", uri=folder).stdout)
    assert [(e["type"], e["entity_id"]) for e in old["events"]] == [
        ("model.renamed", "card-fraud"), ("model_version.created", "fraud/1"),
        ("model.created", "fraud")]
    new = json.loads(run("--json", "events", "--model", "fraud", uri=folder).stdout)
    assert [e["type"] for e in new["events"]] == ["model_version.created", "model.created"]


def test_errors_are_one_line_and_exit_nonzero(folder, tmp_path):
    run("models", "create", "exists", uri=folder)
    proc = run("models", "show", "nope", uri=folder, ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("models", "create", "bad/name", uri=folder, ok=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    proc = run("versions", "download", "nope@prod", str(tmp_path / "x"), uri=folder, ok=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    proc = run("versions", "list", "nope", uri=folder, ok=False)  # a typo, not an empty table
    assert proc.returncode == 1 and "'nope' does not exist" in proc.stderr
    assert json.loads(run("--json", "versions", "list", "exists", uri=folder).stdout)[
        "versions"] == []  # a model without versions lists none
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    proc = run("models", "list", uri="http://127.0.0.1:9", ok=False)
    assert proc.returncode == 1 and "cannot reach" in proc.stderr
    proc = run("models", "list", "--filter", "name ==== 1", uri=folder, ok=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_cli_against_live_server(server_url, model_dir):
    assert run("versions", "register", "srv", str(model_dir), uri=server_url).stdout.strip() == "1"
    run("models", "tag", "srv", "team=risk", uri=server_url)
    run("models", "describe", "srv", "served", uri=server_url)
    shown = json.loads(run("--json", "models", "show", "srv", uri=server_url).stdout)
    assert shown["tags"] == {"team": "risk"} and shown["description"] == "served"
    run("models", "rename", "srv", "srv2", uri=server_url)
    run("models", "delete", "srv2", uri=server_url)
    run("models", "restore", "srv2", uri=server_url)
    assert json.loads(run("--json", "versions", "list", "srv2", uri=server_url).stdout)[
        "versions"][0]["version"] == 1


def test_server_refuses_public_bind_without_insecure(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", "server", "--host", "0.0.0.0",
                           "--home", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "--insecure" in proc.stderr


def test_register_of_an_empty_folder_needs_allow_empty(folder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run("versions", "register", "m", str(empty), uri=folder, ok=False)
    assert out.returncode == 1
    assert "holds no files" in out.stderr and "--allow-empty" in out.stderr
    assert "Traceback" not in out.stderr
    assert run("versions", "register", "m", str(empty), "--allow-empty",
               uri=folder).stdout.strip() == "1"


def test_projects_help_says_what_a_project_is(folder):
    out = " ".join(run("projects", "--help", uri=folder).stdout.split())
    assert "permissions and listing" in out and "unique across all projects" in out
    for command in ("create", "list"):
        assert run("projects", command, "--help", uri=folder).stdout.count("\n") > 3
    assert "What the project is for" in run("projects", "create", "--help", uri=folder).stdout
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "## Projects" in readme and "not a namespace" in readme


def test_a_missing_credential_says_how_to_log_in(server_url, services, tmp_path):
    from modelyard.domain.entities import ANONYMOUS

    services.access.create_user(ANONYMOUS, "root", is_admin=True)  # ends the open mode
    env = {k: v for k, v in os.environ.items() if k != "MODELYARD_TOKEN"}
    env |= {"MODELYARD_URI": server_url, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", "models", "list"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "authentication required" in proc.stderr and "modelyard login" in proc.stderr
