"""`modelyard tokens create --clearml`, run as a new user runs the README's commands:
it prints a clearml.conf the SDK works with, in the open mode too."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from modelyard.domain.entities import ANONYMOUS
from modelyard.services import Services
from tests.clearml.conftest import Runner, clearml_env, fresh_home


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MODELYARD_")}
    return subprocess.run([sys.executable, "-m", "modelyard.cli", *args],
                          env={**clean, **env}, capture_output=True, text=True, timeout=120)


def _pair(conf: str) -> tuple[str, str]:
    access = re.search(r'"access_key" = "([^"]+)"', conf)
    secret = re.search(r'"secret_key" = "([^"]+)"', conf)
    assert access and secret, conf
    return access.group(1), secret.group(1)


def test_open_registry_prints_a_placeholder_conf(tmp_path: Path) -> None:
    out = cli("--uri", str(tmp_path / "data"), "tokens", "create", "--name", "laptop",
              "--clearml", HOME=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "api_server: http://127.0.0.1:5000/clearml/api" in out.stdout
    assert _pair(out.stdout) == ("open-mode", "any-secret") and "open" in out.stderr


def test_token_conf_works_with_the_sdk(server_url: str, services: Services,
                                       run_script: Runner, tmp_path: Path) -> None:
    run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "p")),
               "conf", "train", "conf_model")
    admin = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    assert admin.token
    out = cli("tokens", "create", "--name", "laptop", "--clearml", HOME=str(tmp_path),
              MODELYARD_URI=server_url, MODELYARD_TOKEN=admin.token)
    assert out.returncode == 0, out.stderr
    for line in (f"api_server: {server_url}/clearml/api", f"web_server: {server_url}",
                 f"files_server: {server_url}/clearml/files",
                 f"default_output_uri: {server_url}/clearml/files",
                 "report_use_subprocess: false"):
        assert line in out.stdout
    access, secret = _pair(out.stdout)
    consumed = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "c"),
                                                     access, secret), "conf", "production")
    assert consumed["names"] == ["conf_model"] and consumed["size"]
