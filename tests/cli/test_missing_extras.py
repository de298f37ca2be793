"""A backend whose optional dependency is missing is one line naming the extra,
before anything says "serving"."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import modelyard
from tests.live import free_port

SRC = str(Path(modelyard.__file__).resolve().parents[1])


def _without(module: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI where importing ``module`` fails as if it were not installed."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    (blocked / f"{module}.py").write_text(
        f"raise ModuleNotFoundError(\"No module named '{module}'\", name={module!r})\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked), SRC])}
    env.pop("MODELYARD_URI", None)
    return subprocess.run([sys.executable, "-m", "modelyard.cli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("module", "option", "value", "extra"), [
    ("boto3", "--artifacts-uri", "s3://bucket/blobs", "s3"),
    ("pymysql", "--backend-store-uri", "mysql://root@127.0.0.1:3306/test", "mysql"),
    ("psycopg", "--backend-store-uri", "postgresql://postgres@127.0.0.1:5432/test", "postgres"),
])
def test_server_names_the_extra_before_serving(module: str, option: str, value: str,
                                               extra: str, tmp_path: Path):
    proc = _without(module, tmp_path, "server", "--home", str(tmp_path / "h"), option, value,
                    "--port", str(free_port()))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "serving" not in proc.stderr
    assert f"needs {module}: install modelyard[{extra}]" in lines[0]


def test_serve_names_the_extra_before_serving(tmp_path: Path):
    proc = _without("pymysql", tmp_path, "--uri", "mysql://root@127.0.0.1:3306/test",
                    "serve", "m/1", "--port", str(free_port()))
    assert proc.returncode == 1 and "serving" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: a MySQL database needs pymysql: install modelyard[mysql] "
        "(pip install 'modelyard[mysql]')"]
