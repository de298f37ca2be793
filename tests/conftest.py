"""Fixtures: a database URL per backend, services, apps and clients over both transports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from modelyard.client.http import HttpClient  # noqa: E402
from modelyard.client.local import LocalClient  # noqa: E402
from modelyard.config import Settings  # noqa: E402
from modelyard.server.app import create_app  # noqa: E402
from modelyard.services import Services  # noqa: E402
from tests.live import LiveServer  # noqa: E402
from tests.services import (  # noqa: E402
    create_server_db,
    drop_server_db,
    migrate_database,
    truncate_all,
)

BACKENDS = ["sqlite", "postgresql", "mysql"]


@pytest.fixture(scope="session")
def _server_dbs() -> Iterator[dict[str, str]]:
    dbs: dict[str, str] = {}
    yield dbs
    for kind in dbs:
        drop_server_db(kind)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _server_dbs: dict[str, str]) -> str:
    """A migrated, empty metadata database on each backend."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
        migrate_database(url)
        return url
    if kind not in _server_dbs:
        url = create_server_db(kind)
        migrate_database(url)  # once per session
        _server_dbs[kind] = url
    truncate_all(_server_dbs[kind])
    return _server_dbs[kind]


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": db_url,
                          "max_upload_size": 8 * 1024 * 1024}, environ={})


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The composition root on ``settings``; it migrates explicitly and has its secret
    key, as a server's start-up does (a no-op on a database at the newest schema)."""
    from modelyard.sealing import ensure_key

    ensure_key(settings.secret_key_path)
    s = Services.from_settings(settings, upgrade=True)
    yield s
    s.close()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services.settings, services)


@pytest.fixture
def server_url(app, live_server: LiveServer) -> str:  # type: ignore[no-untyped-def]
    live_server.switch.app = app
    return live_server.url


@pytest.fixture
def http(server_url: str) -> Iterator[object]:
    """A plain httpx client on the live server, for REST-level tests."""
    import httpx

    with httpx.Client(base_url=server_url, timeout=30) as c:
        yield c


@pytest.fixture(params=["local", "http"])
def client(request: pytest.FixtureRequest, services: Services, live_server: LiveServer):  # type: ignore[no-untyped-def]
    """The SDK over both transports, on the same store."""
    if request.param == "local":
        yield LocalClient("test", services=services)
        return
    live_server.switch.app = create_app(services.settings, services)
    c = HttpClient(live_server.url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3-compatible server (moto in server mode) on loopback."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - moto[server] is a test dependency
        from tests.services import unavailable

        unavailable("moto server", exc)
    from tests.live import free_port

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_url(s3_server: str) -> str:
    """A fresh bucket on the moto server, as a blob store URL."""
    import secrets

    import boto3

    bucket = "modelyard-" + secrets.token_hex(6)
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=bucket)
    return f"s3://{bucket}/blobs?endpoint_url={s3_server}&region=us-east-1"


@pytest.fixture(scope="session")
def gcs_server() -> Iterator[str]:
    """A GCS emulator (gcp-storage-emulator from PyPI) on loopback."""
    from tests.emulators import gcs_emulator

    yield from gcs_emulator()


@pytest.fixture
def gcs_url(gcs_server: str) -> str:
    """A fresh bucket on the GCS emulator, as a blob store URL."""
    import secrets

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    bucket = "modelyard-" + secrets.token_hex(6)
    client = storage.Client(project="test", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": gcs_server})
    client.create_bucket(bucket)
    return f"gs://{bucket}/blobs?endpoint={gcs_server}&project=test&anonymous=1"


@pytest.fixture(scope="session")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite (from npm) on loopback; its blob endpoint."""
    from tests.emulators import azurite

    yield from azurite(tmp_path_factory.mktemp("azurite"))


@pytest.fixture
def azure_url(azure_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh container on Azurite, as a blob store URL (credentials through
    AZURE_STORAGE_CONNECTION_STRING, as a deployment would give them)."""
    import secrets

    from azure.storage.blob import BlobServiceClient

    from tests.emulators import azurite_connection_string

    conn = azurite_connection_string(azure_server)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", conn)
    container = "modelyard-" + secrets.token_hex(6)
    BlobServiceClient.from_connection_string(conn).create_container(container)
    return f"azure://{container}/blobs"


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    d = tmp_path / "model"
    (d / "weights").mkdir(parents=True)
    (d / "MLmodel").write_text("flavor: test\n")
    (d / "weights" / "w.bin").write_bytes(os.urandom(50_000))
    return d
