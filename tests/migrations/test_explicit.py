"""Migrations run when asked (`modelyard db upgrade`, server start-up, the embedded
default's first open), never as a side effect of opening a store; a database not at the
newest schema is refused with a message that says what to run.  Any number of
processes may run the upgrade at the same moment on an empty database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelyard.client.local import LocalClient
from modelyard.config import Settings
from modelyard.errors import ServiceUnavailable
from modelyard.services import Services
from modelyard.store import migrate
from modelyard.store.engine import make_engine
from modelyard.store.sql_store import SqlStore
from tests.live import free_port
from tests.services import create_server_db, drop_server_db


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on each backend."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = create_server_db(kind, "empty")
    yield url
    drop_server_db(kind, "empty")


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


def test_opening_a_store_does_not_migrate(empty_db):
    store = SqlStore(empty_db)
    store.dispose()
    assert _revision(empty_db) is None


def test_a_database_not_at_head_is_refused_with_what_to_run(empty_db, tmp_path):
    settings = Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": empty_db},
                             environ={})
    with pytest.raises(ServiceUnavailable, match="modelyard db upgrade"):
        Services.from_settings(settings)
    assert _revision(empty_db) is None
    Services.from_settings(settings, upgrade=True).close()
    assert _revision(empty_db) == migrate.head_revision()
    Services.from_settings(settings).close()  # at head: opens without upgrading


def test_in_process_client_on_a_server_database_does_not_migrate(empty_db):
    if empty_db.startswith("sqlite"):
        pytest.skip("a SQLite file is the embedded default, which upgrades itself")
    with pytest.raises(ServiceUnavailable, match="modelyard db upgrade"):
        LocalClient(empty_db)
    assert _revision(empty_db) is None


def test_embedded_default_upgrades_on_first_open(tmp_path):
    client = LocalClient(str(tmp_path / "home"))
    try:
        client.create_model("first")
    finally:
        client.close()
    assert _revision(f"sqlite:///{tmp_path / 'home' / 'modelyard.db'}") == migrate.head_revision()


def _cli(*args: str, env: dict[str, str] | None = None,
         timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelyard.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def test_server_without_auto_migrate_refuses_a_database_not_at_head(empty_db, tmp_path):
    env = {**os.environ, "MODELYARD_AUTO_MIGRATE": "false"}
    proc = _cli("server", "--port", str(free_port()), "--home", str(tmp_path / "home"),
                "--backend-store-uri", empty_db, env=env)
    assert proc.returncode != 0
    assert "modelyard db upgrade" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _revision(empty_db) is None


# Each process imports everything first, then waits for the same instant to upgrade.
_RACE = """
import sys, time
from modelyard.cli.main import main
import modelyard.store.migrate, alembic.command  # noqa: F401 - imported before the start
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
main(["--json", "db", "upgrade", "--backend-store-uri", sys.argv[2]])
"""


def test_four_processes_upgrade_an_empty_database_at_once(empty_db):
    start = time.time() + 6
    procs = [subprocess.Popen([sys.executable, "-c", _RACE, str(start), empty_db],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err[-2000:]
        assert migrate.head_revision() in out
    assert _revision(empty_db) == migrate.head_revision()
    engine = make_engine(empty_db)
    try:
        from tests.migrations.test_migrations import _diff

        assert _diff(engine) == []
    finally:
        engine.dispose()


_SERVER = """
import sys, time
from modelyard.cli.main import main
import modelyard.server.app, modelyard.store.migrate, alembic.command  # noqa: F401
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
main(["server", "--port", sys.argv[2], "--home", sys.argv[3], "--backend-store-uri", sys.argv[4],
      "--log-level", "warning"])
"""


def test_four_servers_start_at_once_on_an_empty_database(empty_db, tmp_path):
    import httpx

    start = time.time() + 8
    ports = [free_port() for _ in range(4)]
    procs = [subprocess.Popen([sys.executable, "-c", _SERVER, str(start), str(port),
                               str(tmp_path / "home"), empty_db],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for port in ports]
    try:
        for port, proc in zip(ports, procs, strict=True):
            deadline = time.time() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, proc.communicate()[1][-2000:]
                assert time.time() < deadline
                time.sleep(0.1)
        assert _revision(empty_db) == migrate.head_revision()
        reply = httpx.post(f"http://127.0.0.1:{ports[-1]}/api/v1/models", json={"name": "m"})
        assert reply.status_code == 201, reply.text
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
