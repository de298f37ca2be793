"""``/health`` is live whatever the backends do; ``/ready`` answers 200 only while this
process reaches its database and its storage, and otherwise 503 naming the failed
check by its code, without a host, path or secret."""

from __future__ import annotations

from pathlib import Path

import boto3
import httpx
import pytest
from sqlalchemy.engine import make_url

from modelyard.config import Settings
from modelyard.server.app import create_app
from modelyard.services import Services
from tests.api.test_secrets import LEAKS
from tests.relay import Proxy


def _probe(http: httpx.Client) -> tuple[int, dict]:
    resp = http.get("/ready")
    assert resp.headers["cache-control"] == "no-store"
    assert not LEAKS.search(resp.text), resp.text
    return resp.status_code, resp.json()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_ready_follows_the_database(db_url: str, tmp_path: Path, live_server) -> None:
    real = make_url(db_url)
    proxy = Proxy(real.port or 5432)
    url = real.set(port=proxy.port).render_as_string(hide_password=False)
    settings = Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": url},
                             environ={})
    services = Services.from_settings(settings, upgrade=True)
    try:
        live_server.switch.app = create_app(settings, services)
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            assert _probe(http) == (200, {"status": "ready",
                                          "checks": {"database": "ok", "storage": "ok"}})
            proxy.cut()
            status, body = _probe(http)
            assert status == 503 and body["status"] == "unavailable"
            assert body["checks"] == {"database": "TEMPORARILY_UNAVAILABLE", "storage": "ok"}
            assert http.get("/health").status_code == 200  # alive, only not ready
    finally:
        services.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_ready_follows_the_storage(settings: Settings, s3_url: str, s3_server: str,
                                   live_server) -> None:
    settings = Settings.load({"home": settings.home, "backend_store_uri": settings.database_url,
                              "artifacts_uri": s3_url}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    try:
        live_server.switch.app = create_app(settings, services)
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            assert _probe(http)[0] == 200
            bucket = s3_url.split("://")[1].split("/")[0]
            boto3.resource("s3", endpoint_url=s3_server,
                           region_name="us-east-1").Bucket(bucket).delete()
            status, body = _probe(http)
            assert status == 503
            assert body["checks"]["database"] == "ok"
            assert body["checks"]["storage"] not in ("ok", "")
    finally:
        services.close()
