"""No secret and no internal detail in any answer or log line: a canary password in
the database URL and a canary S3 secret key, with the database and the object storage
made to fail under a running server."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from modelyard.config import Settings
from modelyard.server.app import create_app
from modelyard.services import Services
from tests.relay import Proxy

DB_CANARY = "Pw-canary-7f3a9c"
S3_CANARY = "S3-secret-canary-51be07"
# What an error body must never show: a URL, a server path, an exception class.
LEAKS = re.compile(r"://|/tmp/|/home/|/root/|[A-Z][a-z]+(?:Error|Exception)\b|"
                   r"NoSuchBucket|Traceback|postgres|psycopg|botocore")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO)
    yield caplog


def _text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    return text


def _assert_clean(resp: httpx.Response, logs: pytest.LogCaptureFixture, *canaries: str) -> None:
    body = resp.json()
    assert set(body) == {"error_code", "message", "request_id"}, body
    assert body["request_id"] and resp.headers["x-request-id"] == body["request_id"]
    assert not LEAKS.search(body["message"]), body["message"]
    for canary in canaries:
        assert canary not in resp.text and canary not in str(resp.headers)
        for record in logs.records:
            assert canary not in _text(record), _text(record)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_database_down(db_url: str, tmp_path: Path, live_server, logs) -> None:
    real = make_url(db_url)
    proxy = Proxy(real.port or 5432)
    url = real.set(password=DB_CANARY, port=proxy.port).render_as_string(hide_password=False)
    settings = Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": url},
                             environ={})
    services = Services.from_settings(settings, upgrade=True)
    try:
        live_server.switch.app = create_app(settings, services)
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            assert http.post("/api/v1/models", json={"name": "m"}).status_code == 201
            proxy.cut()
            for resp in (http.get("/api/v1/models/m"),
                         http.post("/api/v1/models", json={"name": "param-canary-3b1"}),
                         http.get("/api/2.0/mlflow/registered-models/get",
                                  params={"name": "m"})):
                assert resp.status_code == 503, resp.text
                assert resp.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
                _assert_clean(resp, logs, DB_CANARY, "param-canary-3b1")
            assert any(r.levelno >= logging.ERROR for r in logs.records)  # the operator's trace
    finally:
        services.close()


def test_object_storage_errors(tmp_path: Path, s3_url: str, live_server, logs,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", S3_CANARY)
    settings = Settings.load({"home": str(tmp_path / "home"), "artifacts_uri": s3_url},
                             environ={})
    services = Services.from_settings(settings, upgrade=True)
    bucket = s3_url.split("://")[1].split("/")[0]
    endpoint = s3_url.split("endpoint_url=")[1].split("&")[0]
    try:
        live_server.switch.app = create_app(settings, services)
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            data = b"payload"
            digest = hashlib.sha256(data).hexdigest()
            assert http.put(f"/api/v1/blobs/sha256/{digest}", content=data).status_code == 200
            s3 = boto3.resource("s3", endpoint_url=endpoint, region_name="us-east-1")
            s3.Bucket(bucket).objects.all().delete()
            s3.Bucket(bucket).delete()  # the storage now fails every call
            other = b"other payload"
            failed = 0
            for resp in (http.put(f"/api/v1/blobs/sha256/{hashlib.sha256(other).hexdigest()}",
                                  content=other),
                         http.get(f"/api/v1/blobs/sha256/{digest}")):
                assert resp.status_code >= 500 or resp.status_code == 404, resp.text
                if resp.status_code >= 500:
                    failed += 1
                    _assert_clean(resp, logs, S3_CANARY)
                    assert bucket not in resp.text and digest not in resp.text
            assert failed
            for record in logs.records:
                assert S3_CANARY not in _text(record)
    finally:
        services.close()


def test_start_up_line_hides_credentials() -> None:
    from modelyard.errors import redact_url

    uri = (f"s3://bucket/p?endpoint_url=http://minio:{S3_CANARY}@host:9000&region=x"
           f"&aws_secret_access_key={S3_CANARY}")
    shown = redact_url(uri)
    assert S3_CANARY not in shown and "host:9000" in shown and "region=x" in shown
    assert DB_CANARY not in redact_url(f"postgresql://u:{DB_CANARY}@db/x")
    assert redact_url("/data/blobs") == "/data/blobs"


def test_server_start_up_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.live import free_port

    uri = (f"s3://bucket/blobs?endpoint_url=http://minio:{S3_CANARY}@127.0.0.1:9"
           "&region=us-east-1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard.cli", "server", "--port", str(free_port()),
         "--home", str(tmp_path / "home"), "--artifacts-uri", uri, "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if "serving on" in line:
                break
        assert any("serving on" in line for line in seen), "".join(seen)
        assert S3_CANARY not in "".join(seen)
        assert "127.0.0.1:9" in seen[-1] and "***" in seen[-1]
    finally:
        proc.terminate()
        proc.wait(15)
