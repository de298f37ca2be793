"""Concurrent pushes of the same objects (``dvc push`` runs several jobs; two clients
push the same bytes) on every database: each object is indexed once, every push
succeeds, and the bytes are stored once."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from modelyard.domain.entities import ANONYMOUS
from modelyard.services import Services


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _server_dbs: dict[str, str]) -> str:
    from tests.services import create_server_db, migrate_database, truncate_all

    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
        migrate_database(url)
        return url
    if kind not in _server_dbs:
        _server_dbs[kind] = create_server_db(kind)
        migrate_database(_server_dbs[kind])
    truncate_all(_server_dbs[kind])
    return _server_dbs[kind]


def test_same_objects_pushed_at_once(server_url: str, services: Services) -> None:
    services.registry.create_project(ANONYMOUS, "fraud")  # open mode: the local admin
    blobs = [f"object {i}".encode() * 50 for i in range(8)]

    def push(data: bytes) -> int:
        md5 = hashlib.md5(data).hexdigest()
        with httpx.Client(timeout=30) as h:
            return h.post(f"{server_url}/dvc/fraud/files/md5/{md5[:2]}/{md5[2:]}", content=data,
                          headers={"Content-Type": "application/octet-stream"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(push, blobs * 4))
    assert codes == [200] * len(codes)
    with services.store.read() as tx:
        pid = tx.registry.project_id("fraud") or 0
        for data in blobs:
            found = tx.dvc.get(pid, hashlib.md5(data).hexdigest())
            assert found is not None and found.sha256 == hashlib.sha256(data).hexdigest()
    stored = [d for d, _ in services.blobs.iter_blobs()]
    assert len(stored) == len(set(stored)) == len(blobs)
