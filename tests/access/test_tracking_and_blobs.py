"""Runs, experiments and blobs under roles: tracking belongs to the default project
(an experiment can be granted on its own, see test_experiment_permissions); a blob is readable only through a manifest the actor may read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.errors import NotFound, PermissionDenied


@pytest.fixture
def setup(server_url: str, admin_token: str, model_dir: Path) -> dict[str, str]:
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("risk")
        out = {"root": admin_token}
        for name in ("tracker", "risk-viewer", "nobody"):
            root.create_user(name, password=f"{name}-password")
            out[name] = root.create_token("t", user=name).secret or ""
        root.grant_role("tracker", "editor", project="default")
        root.grant_role("risk-viewer", "viewer", project="risk")
        root.create_model("secret-model", project="risk")
        root.register("secret-model", model_dir)
    return out


def test_tracking_needs_a_role_on_the_default_project(server_url: str,
                                                      setup: dict[str, str]) -> None:
    with HttpClient(server_url, token=setup["root"]) as root:
        theirs = root.create_experiment("theirs").experiment_id
    with HttpClient(server_url, token=setup["tracker"]) as t:
        exp = t.create_experiment("exp").experiment_id
        run = t.create_run(exp)
        t.log_metric(run.run_id, "auc", 0.9)
        with pytest.raises(PermissionDenied):  # deleting an experiment: maintainer
            t.delete_experiment(theirs)
        t.delete_experiment(exp)  # its creator is the maintainer of its experiment
        t.restore_experiment(exp)
    with HttpClient(server_url, token=setup["nobody"]) as n:
        with pytest.raises(NotFound):  # invisible: as if it did not exist
            n.get_run(run.run_id)
        with pytest.raises(PermissionDenied):
            n.create_experiment("mine")


def test_blobs_only_through_a_readable_manifest(server_url: str, setup: dict[str, str],
                                                model_dir: Path) -> None:
    digest = hashlib.sha256((model_dir / "weights" / "w.bin").read_bytes()).hexdigest()
    url = f"/api/v1/blobs/sha256/{digest}"
    with httpx.Client(base_url=server_url) as h:
        def get(who: str) -> int:
            return h.get(url, headers={"Authorization": f"Bearer {setup[who]}"}).status_code
        assert get("risk-viewer") == 200
        assert get("root") == 200
        assert get("nobody") == 404
        assert get("tracker") == 404  # a role elsewhere does not open this manifest
    with HttpClient(server_url, token=setup["nobody"]) as n:
        with pytest.raises(PermissionDenied):  # no write access anywhere
            n.missing_blobs([digest])
        with pytest.raises(NotFound):
            n.get_version("secret-model", 1)
    with HttpClient(server_url, token=setup["tracker"]) as t:
        assert t.missing_blobs([digest]) == []  # an editor somewhere may upload


def test_batch_reads_only_through_a_readable_manifest(server_url: str, setup: dict[str, str],
                                                      model_dir: Path) -> None:
    digests = [hashlib.sha256((model_dir / p).read_bytes()).hexdigest()
               for p in ("weights/w.bin", "MLmodel")]
    with httpx.Client(base_url=server_url) as h:
        def read(who: str, asked: list[str]) -> httpx.Response:
            return h.post("/api/v1/blobs:batch-read", json={"digests": asked},
                          headers={"Authorization": f"Bearer {setup[who]}"})
        assert read("risk-viewer", digests).status_code == 200
        assert read("root", digests).status_code == 200
        for who in ("nobody", "tracker"):  # as for an unknown digest: it does not exist
            resp = read(who, digests)
            assert resp.status_code == 404 and digests[0] in resp.json()["message"]
        assert read("nobody", ["0" * 64]).json()["message"] == resp.json()["message"].replace(
            digests[0], "0" * 64)
    with HttpClient(server_url, token=setup["risk-viewer"]) as v:
        assert [d for d, _, _ in v.iter_blobs(digests)] == digests
    with HttpClient(server_url, token=setup["nobody"]) as n, pytest.raises(NotFound):
        list(n.iter_blobs(digests))
