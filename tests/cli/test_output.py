"""What the CLI prints: one-line errors (JSON under --json), exit codes, tables that keep
ids whole on a terminal and print every value whole in a pipe, one layout for `show`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


def run(*args: str, uri: str | None = None, ok: bool = True, terminal: bool = False,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    full.pop("MODELYARD_URI", None)
    if uri is not None:
        full["MODELYARD_URI"] = uri
    if terminal:  # rich's documented switch: treat stdout as a terminal of 80 columns
        full.update(TTY_COMPATIBLE="1", COLUMNS="80", NO_COLOR="1")
    else:
        full.pop("TTY_COMPATIBLE", None)
        full.pop("FORCE_COLOR", None)
    proc = subprocess.run([sys.executable, "-m", "modelyard.cli", *args], env=full,
                          capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def folder(tmp_path: Path) -> str:
    """An empty registry in a folder (reads never create one)."""
    import modelyard

    path = str(tmp_path / "registry")
    modelyard.Client(path).close()
    return path


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.stderr.endswith("\n") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Error:" not in proc.stderr
    return proc.stderr.strip()


# -- errors ------------------------------------------------------------------------------
def test_a_metric_that_is_not_a_number_is_a_usage_error(folder, model_dir):
    proc = run("versions", "register", "m", str(model_dir), "--metric", "auc=abc",
               uri=folder, ok=False)
    assert proc.returncode == 2
    assert one_line(proc) == "error: --metric expects KEY=NUMBER, not 'auc=abc'"
    proc = run("versions", "register", "m", str(model_dir), "--tag", "team", uri=folder,
               ok=False)
    assert proc.returncode == 2 and one_line(proc) == "error: --tag expects KEY=VALUE, not 'team'"


def test_a_missing_postgresql_database_is_named_without_the_password():
    proc = run("models", "list", uri="postgresql://postgres:s3cr3t@127.0.0.1:5432/no_such_db",
               ok=False)
    assert proc.returncode == 1
    assert one_line(proc) == ('error: cannot connect to PostgreSQL at 127.0.0.1:5432: '
                              'database "no_such_db" does not exist')


def test_a_missing_mysql_database_reads_the_same():
    proc = run("models", "list", uri="mysql://root@127.0.0.1:3306/no_such_db", ok=False)
    assert one_line(proc) == ('error: cannot connect to MySQL at 127.0.0.1:3306: '
                              'database "no_such_db" does not exist')


def test_an_unknown_scheme_says_which_are_known(tmp_path):
    proc = run("models", "list", uri="htp://127.0.0.1:5000", ok=False)
    assert proc.returncode == 1
    assert one_line(proc) == ("error: unknown URI scheme 'htp'; use http://, https://, "
                              "a folder, or a database URL")


def test_an_unreachable_server_is_said_in_words():
    proc = run("models", "list", uri="http://127.0.0.1:9", ok=False)
    assert proc.returncode == 1
    assert one_line(proc) == ("error: cannot reach http://127.0.0.1:9: connection refused or "
                              "host unknown; is the server running there?")


def test_usage_errors_are_one_line_and_exit_2(folder):
    proc = run("models", "list", "--no-such-option", uri=folder, ok=False)
    assert proc.returncode == 2
    line = one_line(proc)
    assert line.startswith("error: No such option") and "modelyard models list --help" in line
    proc = run("models", "show", uri=folder, ok=False)
    assert proc.returncode == 2 and "NAME" in one_line(proc)
    proc = run("models", uri=folder, ok=False)  # a group alone prints its help
    assert proc.returncode == 2 and "Commands:" in proc.stderr and "error" not in proc.stderr


def test_errors_under_json_are_json_on_stderr(folder):
    for args in (("--json", "models", "show", "nope"), ("models", "show", "nope", "--json")):
        proc = run(*args, uri=folder, ok=False)
        assert proc.returncode == 1 and proc.stdout == ""
        assert json.loads(proc.stderr) == {
            "error_code": "RESOURCE_DOES_NOT_EXIST",
            "message": "registered model 'nope' does not exist"}
    proc = run("models", "list", "--json", "--bogus", uri=folder, ok=False)
    assert proc.returncode == 2 and json.loads(proc.stderr)["error_code"] == "USAGE_ERROR"


# -- global options in either place ------------------------------------------------------
def test_json_and_uri_after_the_command(folder, model_dir):
    run("versions", "register", "m", str(model_dir), "--uri", folder)
    data = json.loads(run("models", "list", "--json", "--uri", folder).stdout)
    assert [m["name"] for m in data["models"]] == ["m"]
    data = json.loads(run("versions", "show", "m/1", "--json", uri=folder).stdout)
    assert data["version"] == 1
    # Before the command, as it always was; the later --uri wins.
    data = json.loads(run("--json", "--uri", "/nonexistent", "models", "show", "m",
                          "--uri", folder).stdout)
    assert data["name"] == "m"


# -- tables ------------------------------------------------------------------------------
def test_a_pipe_gets_whole_values_tab_separated(folder, model_dir):
    run("versions", "register", "m", str(model_dir), uri=folder)
    lines = run("versions", "files", "m/1", uri=folder).stdout.splitlines()
    assert lines[0] == "PATH\tSIZE\tSHA256"
    rows = [line.split("\t") for line in lines[1:]]
    assert sorted(r[0] for r in rows) == ["MLmodel", "weights/w.bin"]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r[2]) for r in rows)
    run("versions", "register", "m2", str(model_dir), uri=folder)
    page = run("models", "list", "-n", "1", uri=folder)
    assert page.stdout.splitlines()[0].startswith("NAME\t") and len(page.stdout.splitlines()) == 2
    assert page.stderr.startswith("next page: --page-token ")
    dep = run("deployments", "record", "m/1", "http://serving.example:8080/" + "x" * 80,
              uri=folder).stdout.strip()
    lines = run("deployments", "list", uri=folder).stdout.splitlines()
    assert lines[0].split("\t")[0] == "ID"
    row = lines[1].split("\t")
    assert row[0] == dep and row[3].endswith("x" * 80) and re.fullmatch(ISO, row[5])


def test_a_terminal_keeps_ids_and_digests_whole(folder, model_dir):
    run("versions", "register", "m", str(model_dir), uri=folder)
    shas = [f["sha256"] for f in json.loads(
        run("--json", "versions", "files", "m/1", uri=folder).stdout)["files"]]
    out = run("versions", "files", "m/1", uri=folder, terminal=True).stdout
    assert "\t" not in out and all(sha in out for sha in shas), out
    dep = run("deployments", "record", "m/1", "http://serving.example:8080/predict",
              "-e", "production", uri=folder).stdout.strip()
    out = plain(run("deployments", "list", uri=folder, terminal=True).stdout)
    assert dep in out and all(len(line) <= 80 for line in out.splitlines()), out


def test_events_fold_their_json_instead_of_one_word_a_line(folder, model_dir):
    run("versions", "register", "m", str(model_dir), "-d", "a description of some length",
        "-t", "team=risk", "-t", "owner=someone", uri=folder)
    run("alias", "set", "m", "production", "1", uri=folder)
    out = plain(run("events", uri=folder, terminal=True).stdout)
    lines = out.splitlines()
    events = json.loads(run("--json", "events", uri=folder).stdout)["events"]
    # Each event takes a few folded lines at most, not one per JSON word.
    assert len(lines) <= 1 + 4 * len(events), out
    lines = run("events", uri=folder).stdout.splitlines()
    assert len(lines) == 1 + len(events)
    change = json.loads(lines[1].split("\t")[5])
    assert change["after"]["version"] == 1


# -- show ----------------------------------------------------------------------------------
def fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if not line.startswith(" ") and ": " in line:
            key, _, value = line.partition(": ")
            out[key] = value
    return out


def test_every_show_has_one_layout(folder, model_dir, tmp_path):
    run("versions", "register", "m", str(model_dir), uri=folder)
    run("alias", "set", "m", "production", "1", uri=folder)
    model = fields(run("models", "show", "m", uri=folder).stdout)
    assert re.fullmatch(ISO, model["created_at"]) and model["deleted"] == "no"
    assert model["description"] == "-" and model["latest_version"] == "1"
    alias = fields(run("alias", "show", "m@production", uri=folder).stdout)
    assert alias["alias"] == "m@production" and alias["version"] == "1"
    assert re.fullmatch(ISO, alias["created_at"])
    version = fields(run("versions", "show", "m/1", uri=folder).stdout)
    assert version["run_id"] == "-" and version["deleted"] == "no"

    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,2\n")
    ref = run("datasets", "register", str(data), "--name", "tx", uri=folder).stdout.strip()
    dataset = fields(run("datasets", "show", ref, uri=folder).stdout)
    assert dataset["name"] == "tx" and re.fullmatch(ISO, dataset["created_at"])
    assert not run("datasets", "show", ref, uri=folder).stdout.lstrip().startswith("{")

    exp = run("experiments", "create", "e1", uri=folder).stdout.strip()
    experiment = fields(run("experiments", "show", exp, uri=folder).stdout)
    assert experiment["name"] == "e1" and re.fullmatch(ISO, experiment["created_at"])

    dep = run("deployments", "record", "m@production", "http://x:1", uri=folder).stdout.strip()
    deployment = fields(run("deployments", "show", dep, uri=folder).stdout)
    assert deployment["id"] == dep and deployment["ended_at"] == "-"
    assert re.fullmatch(ISO, deployment["started_at"])


def test_runs_show_and_list(folder):
    from modelyard.client import Client

    c = Client(folder)
    r = c.create_run("0", run_name="a-rather-long-run-name-for-a-narrow-table")
    c.log_param(r.run_id, "max_depth_of_the_trees", "8")
    c.log_metric(r.run_id, "auc", 0.91)
    c.log_metric(r.run_id, "loss", 0.123456789)
    c.close()
    shown = run("runs", "show", r.run_id, uri=folder).stdout
    got = fields(shown)
    assert re.fullmatch(ISO, got["start_time"]) and got["end_time"] == "-"
    assert "  auc: 0.91" in shown.splitlines() and "None" not in shown
    row = run("runs", "list", uri=folder).stdout.splitlines()[1].split("\t")
    assert row[0] == r.run_id and row[1] == "a-rather-long-run-name-for-a-narrow-table"
    assert row[4] == "max_depth_of_the_trees=8" and "loss=0.123456789" in row[5].split()
    assert "  loss: 0.123456789" in shown.splitlines()  # every digit
    out = run("runs", "list", uri=folder, terminal=True).stdout
    assert r.run_id in out


# -- ids by prefix -------------------------------------------------------------------------
def test_a_unique_prefix_names_a_run_or_a_deployment(folder, model_dir):
    from modelyard.client import Client

    run("versions", "register", "m", str(model_dir), uri=folder)
    c = Client(folder)
    r = c.create_run("0")
    c.close()
    assert json.loads(run("--json", "runs", "show", r.run_id[:7], uri=folder).stdout)[
        "run_id"] == r.run_id
    dep = run("deployments", "record", "m/1", "http://x:1", uri=folder).stdout.strip()
    assert dep[:8] in run("deployments", "end", dep[:8], uri=folder).stdout
    ended = json.loads(run("--json", "deployments", "show", dep[:6], uri=folder).stdout)
    assert ended["id"] == dep and ended["ended_at"]
    run("versions", "register", "m", str(model_dir), "--run-id", r.run_id[:8], uri=folder)
    assert json.loads(run("--json", "versions", "show", "m/2", uri=folder).stdout)[
        "run_id"] == r.run_id
    proc = run("deployments", "end", "0123456789", uri=folder, ok=False)
    assert proc.returncode == 1 and "does not exist" in one_line(proc)
    # Too short or not hex to be a prefix: the error says what a prefix is.
    for text in ("zz", r.run_id[:3]):
        proc = run("runs", "show", text, uri=folder, ok=False)
        line = one_line(proc)
        assert proc.returncode == 1 and f"run {text!r} does not exist" in line, line
        assert "at least 4 hex digits" in line, line


def test_an_ambiguous_prefix_lists_the_candidates(folder, model_dir):
    from modelyard.client import Client
    from modelyard.store.sql_store import SqlStore

    run("versions", "register", "m", str(model_dir), uri=folder)
    Client(folder).close()
    store = SqlStore("sqlite:///" + str(Path(folder) / "modelyard.db"))
    ids = ["abcd" + "1" * 28, "abcd" + "2" * 28]
    try:
        with store.write() as tx:
            model = tx.registry.model("m")
            assert model is not None
            version = tx.registry.version(model.id, 1)
            assert version is not None
            version_id = version.id
            for dep_id in ids:
                tx.lineage.insert_deployment(dep_id, version_id, "http://x:1", "", 1, "me")
    finally:
        store.dispose()
    proc = run("deployments", "end", "abcd", uri=folder, ok=False)
    line = one_line(proc)
    assert proc.returncode == 1 and "ambiguous" in line and all(i in line for i in ids)
    run("deployments", "end", "abcd1", uri=folder)
    proc = run("--json", "deployments", "show", "abcd", uri=folder, ok=False)
    assert json.loads(proc.stderr)["error_code"] == "INVALID_PARAMETER_VALUE"


def test_prefixes_and_json_errors_over_http(server_url, model_dir):
    from modelyard.client import Client

    run("versions", "register", "live", str(model_dir), uri=server_url)
    with Client(server_url) as c:
        r = c.create_run("0")
    got = fields(run("runs", "show", r.run_id[:6], uri=server_url).stdout)
    assert got["run_id"] == r.run_id
    dep = run("deployments", "record", "live/1", "http://x:1", uri=server_url).stdout.strip()
    run("deployments", "end", dep[:5], "--uri", server_url)
    shown = json.loads(run("deployments", "show", dep[:5], "--json", uri=server_url).stdout)
    assert shown["id"] == dep and shown["ended_at"]
    proc = run("deployments", "end", dep[:5], "--json", uri=server_url, ok=False)
    assert proc.returncode == 1
    assert json.loads(proc.stderr)["error_code"] == "INVALID_PARAMETER_VALUE"  # already ended
