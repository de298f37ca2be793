"""``modelyard dvc sync`` on a real repository built with the real ``dvc`` and ``gto``:
a pipeline with ``dvc repro``, GTO register/assign/deprecate, sync before and after
new tags, idempotence, ``--check`` and malformed input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelyard.client.http import HttpClient
from tests.dvc.conftest import Run, add_remote

TRAIN = """\
import json, pathlib, yaml
params = yaml.safe_load(open("params.yaml"))
rows = sum(1 for f in sorted(pathlib.Path("data/raw").iterdir()) for _ in open(f))
pathlib.Path("models").mkdir(exist_ok=True)
pathlib.Path("models/model.pkl").write_text(f"model lr={params['train']['lr']} rows={rows}\\n")
json.dump({"auc": 0.5 + params["train"]["lr"], "rows": rows}, open("metrics.json", "w"))
"""

DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps:
    - data/raw
    - train.py
    params:
    - train.lr
    outs:
    - models/model.pkl
    metrics:
    - metrics.json:
        cache: false
artifacts:
  fraud-detection:
    path: models/model.pkl
    type: model
    desc: Detects fraud
    labels:
    - risk
    - tabular
"""


def cli(server_url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MODELYARD_TOKEN": token}
    return subprocess.run([sys.executable, "-m", "modelyard.cli", *args, "--uri", server_url],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def pipeline(run: Run, dvc_repo: Path, server_url: str, admin_token: str) -> Path:
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("fraud")
    repo = dvc_repo
    (repo / "data" / "raw").mkdir(parents=True)
    for i in range(3):
        (repo / "data" / "raw" / f"part-{i}.csv").write_text(f"id\n{i}\n")
    (repo / "train.py").write_text(TRAIN)
    (repo / "params.yaml").write_text("train:\n  lr: 0.25\n")
    (repo / "dvc.yaml").write_text(DVC_YAML)
    run(repo, "dvc", "add", "data/raw")
    run(repo, "dvc", "repro")
    add_remote(run, repo, f"{server_url}/dvc/fraud", admin_token, user="root")
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", "train the first model")
    run(repo, "dvc", "push")
    run(repo, "gto", "register", "fraud-detection", "--version", "v1.0.0")
    run(repo, "gto", "assign", "fraud-detection", "--version", "v1.0.0", "--stage", "production")
    return repo


def test_sync_models_versions_aliases_and_lineage(run: Run, pipeline: Path, server_url: str,
                                                  admin_token: str, tmp_path: Path) -> None:
    repo = pipeline
    first = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert first.returncode == 0, first.stderr
    assert "fraud-detection@v1.0.0: registered as version 1" in first.stdout
    assert "fraud-detection@production: -> version 1" in first.stdout
    again = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert again.returncode == 0 and again.stdout.strip() == "nothing to do", again.stdout
    check = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud", "--check")
    assert check.returncode == 0 and "in sync with git" in check.stdout

    with HttpClient(server_url, token=admin_token) as c:
        model = c.get_model("fraud-detection")
        assert model.project == "fraud" and model.description == "Detects fraud"
        assert model.tags["gto.label.risk"] == "true" and model.aliases == {"production": 1}
        v1 = c.get_version("fraud-detection", 1)
        assert v1.tags["gto.version"] == "v1.0.0" and v1.tags["modelyard.source"] == "git"
        head = run(repo, "git", "rev-parse", "HEAD").stdout.strip()
        assert v1.tags["git.commit"] == head and v1.tags["git.author"].startswith("Ada")
        assert v1.metrics == {"auc": 0.75, "rows": 6.0}
        assert [f.path for f in v1.files or []] == ["model.pkl"]
        assert b"".join(c.iter_file("fraud-detection@production", "model.pkl")) == \
            (repo / "models" / "model.pkl").read_bytes()
        assert v1.run_id is not None
        stage_run = c.get_run(v1.run_id)
        assert stage_run.tags["dvc.cmd"] == "python train.py"
        assert stage_run.params == {"train.lr": "0.25"}
        assert "dvc.dep.train.py" in stage_run.tags
        data = c.get_dataset_version("data:raw", 1)
        assert data.tags["dvc.md5"].endswith(".dir") and len(data.files or []) == 3
    lineage = cli(server_url, admin_token, "lineage", "fraud-detection@production")
    assert lineage.returncode == 0, lineage.stderr
    head = run(repo, "git", "rev-parse", "HEAD").stdout.strip()
    md5 = data.tags["dvc.md5"]
    assert f"commit {head[:10]}" in lineage.stdout and "cmd: python train.py" in lineage.stdout
    assert f"dataset data:raw/1 ({md5[:12]})" in lineage.stdout, lineage.stdout

    # A new model, not pushed (bytes from the local cache), a new tag and a move.
    (repo / "params.yaml").write_text("train:\n  lr: 0.35\n")
    run(repo, "dvc", "repro")
    run(repo, "git", "commit", "-qam", "a better learning rate")
    run(repo, "gto", "register", "fraud-detection", "--version", "v1.1.0")
    run(repo, "gto", "assign", "fraud-detection", "--version", "v1.1.0", "--stage", "production")
    run(repo, "gto", "assign", "fraud-detection", "--version", "v1.0.0", "--stage", "staging")
    behind = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud",
                 "--check")
    assert behind.returncode == 1 and "fraud-detection@v1.1.0: not in the registry" in behind.stdout
    second = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert second.returncode == 0, second.stderr
    assert "registered as version 2" in second.stdout
    with HttpClient(server_url, token=admin_token) as c:
        assert c.get_model("fraud-detection").aliases == {"production": 2, "staging": 1}
        assert b"".join(c.iter_file("fraud-detection@production", "model.pkl")) == \
            b"model lr=0.35 rows=6\n"
        # Moved in modelyard: allowed, and reported as diverging from git.
        c.set_alias("fraud-detection", "production", 1)
    diverged = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud",
                   "--check")
    assert diverged.returncode == 1
    assert "fraud-detection@production: version 1 in modelyard, v1.1.0 in git" in diverged.stdout

    # Unassigning a stage in GTO removes the alias.
    run(repo, "gto", "deprecate", "fraud-detection", "v1.0.0", "staging")
    third = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert "fraud-detection@staging: removed" in third.stdout, third.stdout + third.stderr
    with HttpClient(server_url, token=admin_token) as c:
        assert "staging" not in c.get_model("fraud-detection").aliases

    # A version deregistered in GTO is kept, marked, and loses its aliases.
    run(repo, "gto", "deprecate", "fraud-detection", "v1.0.0")
    fourth = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert "fraud-detection@v1.0.0: marked deregistered (version 1)" in fourth.stdout, \
        fourth.stdout + fourth.stderr
    assert cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud"
               ).stdout.strip() == "nothing to do"
    with HttpClient(server_url, token=admin_token) as c:
        v1 = c.get_version("fraud-detection", 1)
        assert v1.tags["gto.deregistered"] == "true" and v1.aliases == []

    # The same bytes as dvc pull at the tag.
    out = tmp_path / "out"
    got = cli(server_url, admin_token, "versions", "download", "fraud-detection/2", str(out))
    assert got.returncode == 0, got.stderr
    assert (out / "model.pkl").read_bytes() == (repo / "models" / "model.pkl").read_bytes()


def test_malformed_input_is_one_line(run: Run, pipeline: Path, server_url: str,
                                     admin_token: str) -> None:
    repo = pipeline
    (repo / "dvc.yaml").write_text("stages: [\n")
    run(repo, "git", "commit", "-qam", "broken")
    bad = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: dvc.yaml is not valid YAML (line 2)", bad.stderr
    assert "Traceback" not in bad.stderr
    run(repo, "git", "tag", "fraud-detection@v1.0")
    (repo / "dvc.yaml").write_text(DVC_YAML)
    run(repo, "git", "commit", "-qam", "fixed")
    tag = cli(server_url, admin_token, "dvc", "sync", str(repo), "--project", "fraud")
    assert tag.returncode == 1 and "fraud-detection@v1.0" in tag.stderr, tag.stderr
    elsewhere = repo.parent / "not-a-repo"
    elsewhere.mkdir()
    nogit = cli(server_url, admin_token, "dvc", "sync", str(elsewhere), "--project", "fraud")
    assert nogit.returncode == 1 and "is not a git repository" in nogit.stderr, nogit.stderr
    assert len(nogit.stderr.strip().splitlines()) == 1
