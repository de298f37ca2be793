"""`modelyard serve` tells the truth about its deployments: "serving" is printed and
a deployment recorded only once every route is loaded and the socket listens, and
the deployment ends on every way out."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from tests.live import free_port
from tests.serving.test_cli_serve import _start, _wait_ready, iris_model  # noqa: F401


def _log(tmp_path: Path) -> str:
    return (tmp_path / "serve.log").read_text()


def _all_deployments(registry, model: str) -> list:  # type: ignore[no-untyped-def]
    return registry.list_deployments(model=model, active_only=False)


def test_a_route_that_fails_to_load_records_nothing(server_url: str, registry, iris_model,  # type: ignore[no-untyped-def]  # noqa: F811
                                                   tmp_path: Path):
    proc = _start(["--uri", server_url, "serve", "models:/iris@production", "--port",
                   str(free_port()), "--route", "production=90", "--route", "challenger=10"],
                  tmp_path)
    assert proc.wait(60) == 1
    out = _log(tmp_path)
    assert "serving" not in out
    assert out.strip().splitlines()[-1].startswith("error:") and "challenger" in out
    assert _all_deployments(registry, "iris") == []


def test_a_port_in_use_is_one_clear_error_and_no_deployment(server_url: str, registry,  # type: ignore[no-untyped-def]
                                                           iris_model, tmp_path: Path):  # noqa: F811
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        proc = _start(["--uri", server_url, "serve", "models:/iris@production", "--port",
                       str(port)], tmp_path)
        assert proc.wait(60) == 1
    finally:
        taken.close()
    out = _log(tmp_path).strip().splitlines()
    assert out == [f"error: cannot listen on 127.0.0.1:{port}: the port is already in use"]
    assert _all_deployments(registry, "iris") == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serving_is_announced_after_the_deployment_and_ends_with_the_process(  # type: ignore[no-untyped-def]
        server_url: str, registry, iris_model, tmp_path: Path, sig: signal.Signals):  # noqa: F811
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(["--uri", server_url, "serve", "models:/iris@production", "--port",
                   str(port)], tmp_path)
    try:
        deadline = time.time() + 60
        while "serving" not in _log(tmp_path):
            assert proc.poll() is None, _log(tmp_path)
            assert time.time() < deadline, _log(tmp_path)
            time.sleep(0.05)
        # Announced: the deployment is already there and requests are answered.
        assert [d.endpoint for d in registry.list_deployments(model="iris")] == [url]
        _wait_ready(url, proc, tmp_path)
        assert f"serving models:/iris@production on {url}" in _log(tmp_path)
    finally:
        proc.send_signal(sig)
        proc.wait(30)
    assert registry.list_deployments(model="iris") == []
    [ended] = _all_deployments(registry, "iris")
    assert ended.ended_at is not None


def test_a_killed_server_is_ended_after_its_heartbeat_timeout(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              monkeypatch: pytest.MonkeyPatch):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    import modelyard

    monkeypatch.setenv("MODELYARD_DEPLOYMENT_TIMEOUT_SECONDS", "2")
    folder = str(tmp_path / "registry")
    registry = modelyard.Client(folder)
    X, y = load_iris(return_X_y=True, as_frame=True)
    modelyard.log_model(LogisticRegression(max_iter=300).fit(X, y), name="hb",
                        input_example=X[:2], client=registry)
    port = free_port()
    proc = _start(["--uri", folder, "serve", "hb/1", "--port", str(port),
                   "--heartbeat-seconds", "0.3"], tmp_path)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc, tmp_path)
        time.sleep(3)  # longer than the timeout: the heartbeats keep it active
        [dep] = registry.list_deployments(model="hb")
        assert dep.heartbeat_at is not None and dep.ended_at is None
    finally:
        proc.kill()  # no way to end it: the registry must notice
        proc.wait(30)
    assert [d.id for d in registry.list_deployments(model="hb")] == [dep.id]  # not yet stale
    time.sleep(2.5)
    assert registry.list_deployments(model="hb") == []
    [ended] = _all_deployments(registry, "hb")
    assert ended.id == dep.id and ended.ended_at is not None
    ends = [e for e in registry.list_events(max_results=50).items
            if e.type == "deployment.ended" and e.entity_id == dep.id]
    assert [e.actor for e in ends] == ["modelyard"]


def test_a_deployment_recorded_by_hand_never_goes_stale(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        model_dir: Path):
    import modelyard

    monkeypatch.setenv("MODELYARD_DEPLOYMENT_TIMEOUT_SECONDS", "1")
    registry = modelyard.Client(str(tmp_path / "registry"))
    registry.register("manual", model_dir)
    dep = registry.record_deployment("manual", 1, "http://svc.internal")
    time.sleep(1.5)
    assert [d.id for d in registry.list_deployments(model="manual")] == [dep.id]
    beat = registry.heartbeat_deployment(dep.id)
    assert beat.heartbeat_at is not None
    time.sleep(1.5)
    assert registry.list_deployments(model="manual") == []
    with pytest.raises(Exception, match="already ended"):
        registry.heartbeat_deployment(dep.id)
