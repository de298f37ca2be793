"""A model uploaded by anyone and pointed to by an alias never runs code in a scoring
server that was not told to trust it, and a version whose files do not match its
manifest is never loaded: the follower keeps the old version, a fresh server refuses
to start."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import modelyard
from modelyard.client.http import HttpClient
from modelyard.errors import DigestMismatch, PermissionDenied
from tests.flavors.attacks import RUNNER, script_pipeline
from tests.serving.helpers import ServingServer
from tests.serving.models import Constant


def test_an_uploaded_attack_behind_production_is_never_loaded(server_url: str,
                                                              tmp_path: Path):
    marker = tmp_path / "ran"
    X, y = load_iris(return_X_y=True)
    benign = LogisticRegression(max_iter=500).fit(X[:, :2], y)
    with contextlib.closing(HttpClient(server_url)) as anonymous:
        modelyard.log_model(benign, name="x", input_example=X[:2, :2], client=anonymous)
        modelyard.log_model(script_pipeline(marker), name="x", method="transform",
                            input_example=np.ones((1, 2)), client=anonymous)
        anonymous.set_alias("x", "production", 1)
        with ServingServer(anonymous, target="x@production", poll_seconds=0.05) as s:
            anonymous.set_alias("x", "production", 2)
            assert s.runtime.check(s.runtime.routes[0]) is False
            r = s.http.post("/invocations", json={"instances": X[:3, :2].tolist()})
            assert r.status_code == 200 and r.headers["x-modelyard-version"] == "x/1"
            assert r.json()["predictions"] == benign.predict(X[:3, :2]).tolist()
        assert not marker.exists()
        with pytest.raises(PermissionDenied, match=RUNNER), \
                ServingServer(anonymous, target="x@production"):
            pass
        assert not marker.exists()
        # the attack is real: a server told to trust it runs the script while warming up
        with contextlib.suppress(Exception), \
                ServingServer(anonymous, target="x@production", trust_pickle=True):
            pass
    assert marker.read_text() == "ran"


def test_a_version_with_a_corrupted_file_is_not_swapped_in(registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    for value in (1, 2):
        modelyard.log_model(Constant(value, tag="corrupt"), name="c", client=registry)
    registry.set_alias("c", "production", 1)
    state = next(f for f in registry.resolve("c/2").files if f.path == "state.json")
    blob = next(p for p in (tmp_path / "home").rglob(state.sha256[2:])
                if p.parent.name == state.sha256[:2])
    blob.chmod(0o600)
    blob.write_bytes(blob.read_bytes().replace(b"2", b"3"))
    with ServingServer(registry, target="c@production", poll_seconds=0.05) as s:
        registry.set_alias("c", "production", 2)
        assert s.runtime.check(s.runtime.routes[0]) is False
        r = s.http.post("/invocations", json={"instances": [[0.0]]})
        assert r.headers["x-modelyard-version"] == "c/1" and r.json()["predictions"] == [1]
    with pytest.raises(DigestMismatch, match="state.json"), \
            ServingServer(registry, target="c@production"):
        pass
