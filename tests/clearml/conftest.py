"""The real clearml SDK (2.1.x, in a cached venv) as subprocess scripts against a
live modelyard server on loopback.

Each script runs with a fresh HOME (a clearml.conf holding only ``SDK_CONF``, an
empty cache), the five ``CLEARML_*`` settings a user puts in clearml.conf, and a dead
loopback proxy for anything not on loopback, so the SDK's update check never leaves the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.live import free_port
from tests.venvs import client_env, client_venv

SCRIPTS = Path(__file__).parent / "scripts"
PACKAGES = ["clearml==2.1.12", "scikit-learn", "joblib"]


@pytest.fixture(scope="session")
def clearml_python() -> Path:
    return client_venv("clearml-2.1", PACKAGES)


# The SDK (2.1.12, on Linux) forks its background reporter with os.fork while its
# repository-detection thread may be starting a ``git`` subprocess: the forked reporter
# then holds the write end of that subprocess's exec-status pipe, the thread never sees
# EOF, and ``task.close()`` waits for the detection (and the reporter) for ever.  A
# threaded reporter (the SDK's own ``development.report_use_subprocess`` setting) cannot.
SDK_CONF = "sdk { development { report_use_subprocess: false } }\n"


def clearml_env(server_url: str, home: Path, access: str = "key", secret: str = "secret",
                **extra: str) -> dict[str, str]:
    (home / "clearml.conf").write_text(SDK_CONF)
    dead_proxy = f"http://127.0.0.1:{free_port()}"
    env = client_env(
        HOME=str(home), CLEARML_API_HOST=f"{server_url}/clearml/api",
        CLEARML_WEB_HOST=server_url, CLEARML_FILES_HOST=f"{server_url}/clearml/files",
        CLEARML_API_ACCESS_KEY=access, CLEARML_API_SECRET_KEY=secret,
        CLEARML_DEFAULT_OUTPUT_URI=f"{server_url}/clearml/files",
        CLEARML_OFFLINE_MODE="0", CLEARML_CACHE_DIR=str(home / "cache"),
        CLEARML_SUPPRESS_UPDATE_MESSAGE="1", CLEARML_LOG_LEVEL="WARNING",
        HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, http_proxy=dead_proxy,
        https_proxy=dead_proxy, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
        **extra)
    env.pop("PYTHONPATH", None)
    return env


Runner = Callable[..., dict[str, Any]]


@pytest.fixture
def run_script(clearml_python: Path, tmp_path: Path) -> Runner:
    def run(script: str, env: dict[str, str], *args: str, cwd: Path | None = None,
            timeout: float = 90, expect_ok: bool = True) -> dict[str, Any]:
        workdir = cwd or (tmp_path / "work")
        workdir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([str(clearml_python), str(SCRIPTS / script), *args], env=env,
                              cwd=workdir, capture_output=True, text=True, timeout=timeout)
        result: dict[str, Any] = {"returncode": proc.returncode, "stdout": proc.stdout,
                                  "stderr": proc.stderr}
        for line in proc.stdout.splitlines():
            if line.startswith("RESULT "):
                result.update(json.loads(line[len("RESULT "):]))
        if expect_ok:
            assert proc.returncode == 0 and "task" in result or "ids" in result, (
                f"{script} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                f"{proc.stderr[-5000:]}")
        return result
    return run


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def fresh_home(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


os.environ.setdefault("CLEARML_TESTS", "1")
