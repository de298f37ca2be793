"""`modelyard serve --require-token` as a real process against a real registry server:
the scoring endpoints take a registry token (Bearer, or Basic with the user's token or
password) of someone who may read the model, answer 401/403 in the serving envelope
otherwise, and may then listen beyond loopback."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import modelyard
from modelyard.client.http import HttpClient
from modelyard.domain.entities import ANONYMOUS
from modelyard.services import Services
from tests.live import free_port
from tests.serving.test_cli_serve import SRC, _wait_ready


def _start(args: list[str], tmp_path: Path, token: str | None = None,
           log: str = "serve.log") -> subprocess.Popen[bytes]:
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH")) if p)
    env.pop("MODELYARD_URI", None)
    env.pop("MODELYARD_TOKEN", None)
    env["MODELYARD_CONFIG_DIR"] = str(tmp_path / "config")  # no saved login
    if token:
        env["MODELYARD_TOKEN"] = token
    out = open(tmp_path / log, "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-c", "from modelyard.cli.main import main; main()", *args],
        stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, env=env)


def _last_line(tmp_path: Path, log: str) -> str:
    return (tmp_path / log).read_text().strip().splitlines()[-1]


def _basic(user: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_require_token(server_url: str, registry, services: Services,  # type: ignore[no-untyped-def]
                       tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    modelyard.log_model(model, name="iris", input_example=X[:3], client=registry)
    registry.set_alias("iris", "production", 1)
    target = "models:/iris@production"

    # An open registry has no credential to check against: refused, in one line.
    proc = _start(["--uri", server_url, "serve", target, "--require-token", "--port",
                   str(free_port())], tmp_path, log="open.log")
    assert proc.wait(60) == 1
    assert "--require-token needs a registry with users" in _last_line(tmp_path, "open.log")
    proc = _start(["serve", str(tmp_path), "--require-token"], tmp_path, log="folder.log")
    assert proc.wait(60) == 1
    assert "needs a registry reference" in _last_line(tmp_path, "folder.log")

    root_token = services.access.create_user(ANONYMOUS, "root", is_admin=True).token or ""
    with HttpClient(server_url, token=root_token) as root:
        tokens = {}
        for name in ("svc", "alice", "bob"):
            root.create_user(name, password=f"{name}-password-1")
            tokens[name] = root.create_token("t", user=name).secret or ""
        root.grant_role("svc", "maintainer", project="default")  # loads, records deployments
        root.grant_role("alice", "viewer", model="iris")
        alice_token_id = root.list_tokens(user="alice")[0].id

    port = free_port()
    proc = _start(["--uri", server_url, "serve", target, "--host", "0.0.0.0", "--port",
                   str(port), "--require-token"], tmp_path, token=tokens["svc"])
    url = f"http://127.0.0.1:{port}"
    rows = {"dataframe_split": {"columns": list(X.columns), "data": X[:3].to_numpy().tolist()}}
    expected = {"predictions": model.predict(X[:3]).tolist()}
    oip = {"inputs": [{"name": c, "shape": [3], "datatype": "FP64",
                       "data": X[c][:3].tolist()} for c in X.columns]}
    try:
        _wait_ready(url, proc, tmp_path)  # /ping is open (probes)
        with httpx.Client(base_url=url, timeout=30) as h:
            assert h.get("/v2/health/ready").status_code == 200
            r = h.post("/invocations", json=rows)
            assert r.status_code == 401, r.text
            assert r.json()["error_code"] == "UNAUTHENTICATED"
            assert r.headers["www-authenticate"].startswith("Bearer")
            for path in ("/version", "/metrics", "/v2/models/iris"):
                assert h.get(path).status_code == 401
            r = h.post("/invocations", json=rows, headers=_bearer("my_bad_token"))
            assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
            r = h.post("/invocations", json=rows, headers=_bearer(tokens["bob"]))
            assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
            assert tokens["bob"] not in r.text
            for headers in (_bearer(tokens["alice"]), _basic("alice", tokens["alice"]),
                            _basic("alice", "alice-password-1")):
                r = h.post("/invocations", json=rows, headers=headers)
                assert r.status_code == 200, r.text
                assert r.json() == expected
            r = h.post("/v2/models/iris/infer", json=oip, headers=_bearer(tokens["alice"]))
            assert r.status_code == 200, r.text
            assert h.post("/v2/models/iris/infer", json=oip).status_code == 401
            assert h.get("/version", headers=_bearer(tokens["alice"])).status_code == 200

            # Cached briefly: many calls, one registry check; a revoked token stops
            # working within the cache's few seconds.
            started = time.perf_counter()
            for _ in range(20):
                assert h.post("/invocations", json=rows,
                              headers=_bearer(tokens["alice"])).status_code == 200
            assert time.perf_counter() - started < 10
            with HttpClient(server_url, token=root_token) as root:
                root.revoke_token(alice_token_id)
            deadline = time.time() + 20
            while time.time() < deadline:
                r = h.post("/invocations", json=rows, headers=_bearer(tokens["alice"]))
                if r.status_code == 401:
                    break
                time.sleep(0.5)
            assert r.status_code == 401, "a revoked token kept working"
    finally:
        proc.terminate()
        assert proc.wait(20) is not None
    log = (tmp_path / "serve.log").read_text()
    for secret in tokens.values():
        assert secret not in log
    assert "Traceback" not in log


def test_beyond_loopback_needs_require_token_or_insecure(tmp_path: Path) -> None:
    proc = _start(["serve", str(tmp_path), "--host", "0.0.0.0"], tmp_path)
    assert proc.wait(60) == 1
    line = _last_line(tmp_path, "serve.log")
    assert "refusing to listen on 0.0.0.0" in line and "--require-token" in line
