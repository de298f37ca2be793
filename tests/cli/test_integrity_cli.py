"""`modelyard versions cat` and `modelyard fsck` on a damaged blob, as real processes,
on a folder and on a live server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.corrupt import flip_byte, sha256


@pytest.fixture
def db_url(tmp_path):
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


@pytest.fixture(params=["folder", "server"])
def registry(request, tmp_path) -> tuple[str, str]:
    """(uri, blob root)."""
    if request.param == "folder":
        folder = tmp_path / "registry"
        return str(folder), str(folder / "blobs")
    services = request.getfixturevalue("services")
    return request.getfixturevalue("server_url"), services.settings.blob_root


def test_cat_and_fsck_refuse_a_flipped_byte(registry, model_dir, tmp_path):
    uri, blobs = registry
    run("versions", "register", "fraud", str(model_dir), uri=uri)
    assert json.loads(run("fsck", "--json", uri=uri).stdout)["ok"] is True
    mlmodel = (model_dir / "MLmodel").read_bytes()
    flip_byte(blobs, sha256(mlmodel))

    cat = run("versions", "cat", "fraud/1", "MLmodel", uri=uri, ok=False)
    assert cat.returncode == 1
    assert "MLmodel" in cat.stderr and "do not match its sha256" in cat.stderr
    assert cat.stdout == ""  # a one-chunk file is held back whole: nothing damaged printed
    dest = tmp_path / "out"
    down = run("versions", "download", "fraud/1", str(dest), uri=uri, ok=False)
    assert down.returncode == 1 and "MLmodel" in down.stderr
    assert not (dest / "MLmodel").exists()

    check = run("fsck", "--json", uri=uri, ok=False)
    assert check.returncode == 1
    report = json.loads(check.stdout)
    assert report["corrupt"] == [sha256(mlmodel)]
    assert [(m["name"], m["path"]) for m in report["manifests"]] == [("fraud/1", "MLmodel")]
    human = run("fsck", "--sample", "5", uri=uri, ok=False)
    assert human.returncode == 1 and "1 corrupt" in human.stdout and "fraud/1" in human.stdout
    assert not Path(dest / ".MLmodel.part").exists()
