"""DVC tests: real git repositories, the real ``dvc`` 3.x, ``dvc-http`` and ``gto`` in a
cached venv, against a live server on loopback (SQLite unless a test asks for more)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.venvs import client_env, client_venv

DVC_PACKAGES = ["dvc==3.67.1", "dvc-http", "gto"]


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from tests.services import migrate_database

    url = f"sqlite:///{tmp_path / 'meta.db'}"
    migrate_database(url)
    return url


@pytest.fixture(scope="session")
def dvc_bin() -> Path:
    return client_venv("dvc-3", DVC_PACKAGES).parent


Run = Callable[..., subprocess.CompletedProcess[str]]


def peer_env(tmp: Path) -> dict[str, str]:
    """Hermetic: no analytics or telemetry, DVC's global and site config in ``tmp``, a
    fixed git identity and no proxy (loopback only)."""
    conf = tmp / "dvc-global"
    conf.mkdir(exist_ok=True)
    env = client_env(DVC_NO_ANALYTICS="1", ITERATIVE_DO_NOT_TRACK="1",
                     DVC_GLOBAL_CONFIG_DIR=str(conf), DVC_SYSTEM_CONFIG_DIR=str(conf),
                     DVC_SITE_CACHE_DIR=str(tmp / "dvc-site"),
                     GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.com",
                     GIT_COMMITTER_NAME="Ada", GIT_COMMITTER_EMAIL="ada@example.com",
                     GIT_CONFIG_NOSYSTEM="1", NO_PROXY="*", no_proxy="*")
    for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["HOME"] = str(tmp)
    return env


@pytest.fixture
def run(dvc_bin: Path, tmp_path: Path) -> Run:
    """Run a command (``dvc``, ``gto`` from the venv; anything else from PATH) in a
    folder; ``check`` (default) fails the test with its output."""
    env = peer_env(tmp_path)
    env["PATH"] = f"{dvc_bin}{os.pathsep}{env.get('PATH', '')}"

    def go(cwd: Path, *args: str, check: bool = True,
           extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(args), cwd=cwd, env={**env, **(extra or {})},
                              capture_output=True, text=True, timeout=300)
        if check and done.returncode != 0:
            pytest.fail(f"{' '.join(args)} exited {done.returncode}:\n"
                        f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done
    return go


@pytest.fixture
def dvc_repo(run: Run, tmp_path: Path) -> Path:
    """A git repository with DVC initialised (analytics off), one commit."""
    repo = tmp_path / "repo"
    repo.mkdir()
    run(repo, "git", "init", "-q", "-b", "main")
    run(repo, "dvc", "init", "-q")
    run(repo, "dvc", "config", "core.analytics", "false")
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", "init dvc")
    return repo


def add_remote(run: Run, repo: Path, url: str, token: str | None, *, user: str = "",
               bearer: bool = False, name: str = "yard") -> None:
    run(repo, "dvc", "remote", "add", "-f", "-d", name, url)
    if token is None:
        return
    if bearer:
        run(repo, "dvc", "remote", "modify", name, "auth", "custom")
        run(repo, "dvc", "remote", "modify", name, "custom_auth_header", "Authorization")
        run(repo, "dvc", "remote", "modify", "--local", name, "password", f"Bearer {token}")
    else:
        run(repo, "dvc", "remote", "modify", name, "auth", "basic")
        run(repo, "dvc", "remote", "modify", name, "user", user)
        run(repo, "dvc", "remote", "modify", "--local", name, "password", token)


@pytest.fixture
def admin_token(services) -> str:  # type: ignore[no-untyped-def]
    """Ends the open mode: the first admin, whose initial token is returned."""
    from modelyard.domain.entities import ANONYMOUS

    user = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    assert user.token
    return user.token
