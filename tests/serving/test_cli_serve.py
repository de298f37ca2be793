"""`modelyard serve` as a real subprocess against a live registry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import modelyard
from tests.flavors.attacks import RUNNER, script_pipeline
from tests.live import free_port


#: The package under test, for the subprocess (its working directory is elsewhere, so
#: a relative PYTHONPATH would not find it).
SRC = str(Path(modelyard.__file__).resolve().parents[1])


def _start(args: list[str], tmp_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    env.pop("MODELYARD_URI", None)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-c", "from modelyard.cli.main import main; main()", *args],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, env=env)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], tmp_path: Path) -> float:
    started = time.time()
    while time.time() - started < 60:
        if proc.poll() is not None:
            pytest.fail("serve exited: " + (tmp_path / "serve.log").read_text())
        try:
            if httpx.get(url + "/ping", timeout=1).status_code == 200:
                return time.time() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail("serve did not become ready: " + (tmp_path / "serve.log").read_text())


@pytest.fixture
def iris_model(registry):  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    modelyard.log_model(model, name="iris", input_example=X[:3], client=registry)
    registry.set_alias("iris", "production", 1)
    return X, model


def test_serve_end_to_end(server_url: str, registry, iris_model, tmp_path: Path):  # type: ignore[no-untyped-def]
    X, model = iris_model
    port = free_port()
    proc = _start(["--uri", server_url, "serve", "models:/iris@production", "--port",
                   str(port), "--environment", "e2e"], tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, tmp_path)
        r = httpx.post(url + "/invocations", json={"dataframe_split": {
            "columns": list(X.columns), "data": X[:5].to_numpy().tolist()}})
        assert r.status_code == 200, r.text
        assert r.json() == {"predictions": model.predict(X[:5]).tolist()}
        assert r.headers["x-modelyard-version"] == "iris/1"
        assert httpx.get(url + "/version").json()["routes"][0]["version"] == "1"
        if hasattr(registry, "list_deployments"):
            deps = registry.list_deployments(model="iris")
            assert [(d.version, d.endpoint) for d in deps] == [(1, url)]
    finally:
        proc.terminate()
        assert proc.wait(20) is not None
    if hasattr(registry, "list_deployments"):
        assert registry.list_deployments(model="iris") == []


def test_serve_refuses_a_pickle_model_in_one_line(server_url: str, registry, tmp_path: Path):  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True)
    modelyard.log_model(LogisticRegression(max_iter=300).fit(X, y), name="p",
                        serialization="pickle", client=registry)
    proc = _start(["--uri", server_url, "serve", "p/1", "--port", str(free_port())], tmp_path)
    assert proc.wait(60) == 1
    out = (tmp_path / "serve.log").read_text().strip().splitlines()
    assert out[-1].startswith("error: refusing to load") and "--trust-pickle" in out[-1]
    assert "Traceback" not in "\n".join(out)


def test_serve_refuses_a_model_that_would_run_code_in_one_line(server_url: str, registry,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path):
    marker = tmp_path / "ran"
    modelyard.log_model(script_pipeline(marker), name="evil", method="transform",
                        input_example=np.ones((1, 2)), client=registry)
    registry.set_alias("evil", "production", 1)
    proc = _start(["--uri", server_url, "serve", "models:/evil@production", "--port",
                   str(free_port())], tmp_path)
    assert proc.wait(60) == 1
    out = (tmp_path / "serve.log").read_text().strip().splitlines()
    assert out[-1].startswith("error: refusing to load") and RUNNER in out[-1]
    assert "--trust-pickle" in out[-1] and "Traceback" not in "\n".join(out)
    assert not marker.exists()


def test_serve_refuses_to_listen_beyond_loopback_without_insecure(tmp_path: Path):
    proc = _start(["serve", str(tmp_path), "--host", "0.0.0.0"], tmp_path)
    assert proc.wait(60) == 1
    out = (tmp_path / "serve.log").read_text().strip().splitlines()
    assert "refusing to listen on 0.0.0.0" in out[-1] and "--insecure" in out[-1]
