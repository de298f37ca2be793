"""The backup and restore of docs/deploy.md, rehearsed: a PostgreSQL dump plus S3
bucket versioning.  After the dump, a model is deleted and collected (its blobs go) and
another registered (one of its files is a collected blob, stored again); the database
is lost.  Restoring the dump alone leaves versions
whose blobs are gone (fsck says which); restoring the blobs as of the dump
(scripts/restore_blobs.py) makes the registry whole: fsck is clean and every version
of the dump downloads byte for byte."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from sqlalchemy.engine import make_url

from modelyard.client.local import LocalClient
from modelyard.config import Settings
from modelyard.services import Services
from tests.services import create_server_db, drop_server_db

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
ROOT = Path(__file__).parents[2]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _client(tmp_path: Path, db: str, blobs: str, name: str) -> tuple[Services, LocalClient]:
    settings = Settings.load({"home": str(tmp_path / name), "backend_store_uri": db,
                              "artifacts_uri": blobs, "gc_grace_seconds": 0}, environ={})
    services = Services.from_settings(settings, upgrade=True)
    return services, LocalClient("test", services=services)


def _tree(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()}


def test_dump_plus_bucket_versioning_restores_the_registry(db_url, s3_url, s3_server,
                                                           tmp_path) -> None:
    bucket = s3_url.split("://")[1].split("/")[0]
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    src = tmp_path / "fraud"
    (src / "weights").mkdir(parents=True)
    (src / "MLmodel").write_text("flavor: test\n")
    (src / "weights" / "w.bin").write_bytes(os.urandom(300_000))
    services, client = _client(tmp_path, db_url, s3_url, "before")
    try:
        client.register("fraud", src)
        (src / "weights" / "w2.bin").write_bytes(os.urandom(1000))
        client.register("fraud", src)
        client.set_alias("fraud", "production", 1)
        time.sleep(1.1)  # S3 times have a second's resolution
        dump = tmp_path / "registry.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                        _libpq(db_url)], check=True, capture_output=True)
        at = datetime.now(UTC)
        time.sleep(1.1)
        client.delete_model("fraud")
        assert client.gc(grace_seconds=0, force=True)["blobs_deleted"] == 3
        later = tmp_path / "later"
        later.mkdir()
        (later / "w.bin").write_bytes((src / "weights" / "w.bin").read_bytes())  # again
        (later / "new.bin").write_bytes(b"after the dump")
        client.register("later", later)
    finally:
        services.close()

    restored_db = create_server_db("postgresql", "restored")
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={_libpq(restored_db)}", str(dump)],
                       check=True, capture_output=True)
        services, client = _client(tmp_path, restored_db, s3_url, "after")
        try:
            assert [m.name for m in client.search_models()] == ["fraud"]
            report = client.fsck()
            assert not report["ok"] and report["missing"], report
            script = [sys.executable, str(ROOT / "scripts" / "restore_blobs.py"), s3_url,
                      "--at", at.isoformat()]
            dry = subprocess.run([*script, "--dry-run"], capture_output=True, text=True)
            assert dry.returncode == 0 and dry.stdout.strip().endswith("2 blobs to restore")
            done = subprocess.run(script, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            assert done.stdout.strip().endswith("2 blobs restored")
            assert client.fsck()["ok"]
            for ref, files in (("fraud@production", 2), ("fraud/2", 3)):
                out = client.download(ref, tmp_path / "out" / ref.replace("/", "-"))
                assert len(_tree(out)) == files
            assert _tree(tmp_path / "out" / "fraud-2") == _tree(src)
            again = subprocess.run(script, capture_output=True, text=True)
            assert again.stdout.strip().endswith("0 blobs restored")  # idempotent
        finally:
            services.close()
    finally:
        drop_server_db("postgresql", "restored")
