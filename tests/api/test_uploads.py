"""Upload sessions over REST (``/api/v1/uploads``): parts through the server's signed
part route, resume (the parts received are listed, a re-created session is the same
one), a bad part refused, a bad whole refused with nothing visible, abort, expiry and
gc, and the signature being the permission of a part URL."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from modelyard.config import Settings

MiB = 1 << 20
JSON = {"content-type": "application/json"}


@pytest.fixture
def settings(db_url: str, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    return Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": db_url},
                         environ={})


def _handle(services: Any, upload_id: str) -> str:
    """The storage's name of a session (a local folder's is ``<id>-<parts>``)."""
    from modelyard.store.uploads_repo import SqlUploadStore

    session = SqlUploadStore(services.store).get(upload_id)
    assert session is not None
    return session.handle


def _open(http: Any, data: bytes, part_size: int = 5 * MiB) -> dict[str, Any]:
    resp = http.post("/api/v1/uploads", headers=JSON, json={
        "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "part_size": part_size})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _send(http: Any, upload_id: str, n: int, data: bytes, sha: str | None = None) -> Any:
    sha = sha or hashlib.sha256(data).hexdigest()
    url = http.post(f"/api/v1/uploads/{upload_id}/urls", headers=JSON,
                    json={"parts": [{"part": n, "sha256": sha}]}).json()["parts"][0]
    assert url["direct"] is False and url["url"].startswith("/api/v1/uploads/")
    return http.put(url["url"], content=data, headers=url["headers"])


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def test_parts_resume_and_complete(http):  # type: ignore[no-untyped-def]
    data = os.urandom(12 * MiB + 5)
    digest = hashlib.sha256(data).hexdigest()
    s = _open(http, data)
    assert s["exists"] is False and s["parts"] == 3
    parts = _pieces(data, 5 * MiB)
    assert _send(http, s["upload_id"], 2, parts[1]).status_code == 200
    # An interrupted client asks again: the same session, part 2 already held.
    again = _open(http, data)
    assert again["upload_id"] == s["upload_id"]
    got = http.get(f"/api/v1/uploads/{s['upload_id']}").json()
    assert got["received"] == [{"part": 2, "size": 5 * MiB}]
    early = http.post(f"/api/v1/uploads/{s['upload_id']}/complete", headers=JSON)
    assert early.status_code == 400 and "not received" in early.json()["message"]
    assert http.get(f"/api/v1/blobs/sha256/{digest}").status_code == 404
    for n in (1, 3):
        assert _send(http, s["upload_id"], n, parts[n - 1]).status_code == 200
    done = http.post(f"/api/v1/uploads/{s['upload_id']}/complete", headers=JSON)
    assert done.status_code == 200, done.text
    assert done.json() == {"sha256": digest, "size": len(data)}
    assert http.get(f"/api/v1/blobs/sha256/{digest}").content == data
    assert http.get(f"/api/v1/uploads/{s['upload_id']}").status_code == 404
    # Stored now: a new session is not needed.
    assert _open(http, data)["exists"] is True


def test_bad_part_refused_and_bad_whole_leaves_nothing(http):  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    digest = hashlib.sha256(data).hexdigest()
    s = _open(http, data)
    parts = _pieces(data, 5 * MiB)
    bad = _send(http, s["upload_id"], 1, b"x" * len(parts[0]), hashlib.sha256(parts[0]).hexdigest())
    assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_DIGEST"
    assert http.get(f"/api/v1/uploads/{s['upload_id']}").json()["received"] == []
    # Parts whose own checksums hold but which are not the announced blob.
    other = os.urandom(6 * MiB)
    for n, piece in enumerate(_pieces(other, 5 * MiB), 1):
        assert _send(http, s["upload_id"], n, piece).status_code == 200
    done = http.post(f"/api/v1/uploads/{s['upload_id']}/complete", headers=JSON)
    assert done.status_code == 400 and done.json()["error_code"] == "BAD_DIGEST"
    assert "request_id" in done.json() or done.headers.get("x-request-id")
    for d in (digest, hashlib.sha256(other).hexdigest()):
        assert http.get(f"/api/v1/blobs/sha256/{d}").status_code == 404
    assert http.get(f"/api/v1/uploads/{s['upload_id']}").status_code == 404


def test_wrong_length_and_range_refused(http):  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    s = _open(http, data)
    assert _send(http, s["upload_id"], 1, b"short").status_code == 400
    resp = http.post(f"/api/v1/uploads/{s['upload_id']}/urls", headers=JSON,
                     json={"parts": [{"part": 3}]})
    assert resp.status_code == 400
    too_small = http.post("/api/v1/uploads", headers=JSON, json={
        "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "part_size": 1024})
    assert too_small.status_code == 400


def test_signature_is_the_permission(http):  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    s = _open(http, data)
    piece = data[:5 * MiB]
    url = http.post(f"/api/v1/uploads/{s['upload_id']}/urls", headers=JSON, json={
        "parts": [{"part": 1, "sha256": hashlib.sha256(piece).hexdigest()}]}).json()["parts"][0]
    forged = url["url"].replace("/parts/1?", "/parts/2?")
    assert http.put(forged, content=data[5 * MiB:]).status_code == 403
    unsigned = f"/api/v1/uploads/{s['upload_id']}/parts/1"
    assert http.put(unsigned, content=piece).status_code == 400
    other = url["url"].replace(s["upload_id"], "0" * 32)
    assert http.put(other, content=piece).status_code == 404
    assert http.put(url["url"], content=piece).status_code == 200


def test_abort_removes_parts(http, services):  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    s = _open(http, data)
    assert _send(http, s["upload_id"], 1, data[:5 * MiB]).status_code == 200
    handle = _handle(services, s["upload_id"])
    assert http.delete(f"/api/v1/uploads/{s['upload_id']}", headers={"X-Modelyard-Client": "test"}).status_code == 200
    assert http.get(f"/api/v1/uploads/{s['upload_id']}").status_code == 404
    assert services.blobs.multipart_parts(handle) == {}


def test_expired_sessions_are_gone_and_gc_aborts_them(http, services, tmp_path):  # type: ignore[no-untyped-def]
    from modelyard.domain.uploads import UploadService
    from modelyard.store.uploads_repo import SqlUploadStore

    class Later:
        def now_ms(self) -> int:
            return services.clock.now_ms() + 25 * 3600 * 1000

    data = os.urandom(6 * MiB)
    s = _open(http, data)
    assert _send(http, s["upload_id"], 1, data[:5 * MiB]).status_code == 200
    handle = _handle(services, s["upload_id"])
    later = UploadService(SqlUploadStore(services.store), services.blobs, Later(),
                          services.blob_service.check_upload)
    assert later.sweep(dry_run=True) == 1
    assert services.blobs.multipart_parts(handle) != {}
    assert later.sweep() == 1
    assert services.blobs.multipart_parts(handle) == {}
    assert http.get(f"/api/v1/uploads/{s['upload_id']}").status_code == 404


def test_batch_of_small_blobs_through_the_server(http):  # type: ignore[no-untyped-def]
    blobs = [os.urandom(1000 + i) for i in range(5)]
    resp = http.post("/api/v1/uploads:batch", headers=JSON, json={
        "blobs": [{"sha256": hashlib.sha256(b).hexdigest(), "size": len(b)} for b in blobs]})
    assert resp.status_code == 200, resp.text
    ups = resp.json()["uploads"]
    for b, up in zip(blobs, ups, strict=True):
        assert up["parts"] == 1 and len(up["urls"]) == 1
        assert http.put(up["urls"][0]["url"], content=b).status_code == 200
    done = http.post("/api/v1/uploads:complete-batch", headers=JSON,
                     json={"upload_ids": [u["upload_id"] for u in ups]})
    assert done.status_code == 200, done.text
    for b in blobs:
        assert http.get(f"/api/v1/blobs/sha256/{hashlib.sha256(b).hexdigest()}").content == b
    assert http.get("/api/v1/uploads:config").json()["direct"] is False


def test_a_session_continues_in_another_server_process(http, services):  # type: ignore[no-untyped-def]
    """Sessions live in the database: a second composition root (another server
    process on the same database and storage) takes the rest of the parts and
    completes what the first one began."""
    from modelyard.domain.entities import ANONYMOUS
    from modelyard.services import Services

    data = os.urandom(11 * MiB)
    s = _open(http, data)
    pieces = _pieces(data, 5 * MiB)
    assert _send(http, s["upload_id"], 1, pieces[0]).status_code == 200
    other = Services.from_settings(services.settings)
    try:
        assert other.uploads.received(ANONYMOUS, s["upload_id"]) == {1: 5 * MiB}
        for n in (2, 3):
            other.uploads.put_part(ANONYMOUS, s["upload_id"], n, pieces[n - 1], None)
        assert other.uploads.complete(ANONYMOUS, s["upload_id"]) == (
            hashlib.sha256(data).hexdigest(), len(data))
    finally:
        other.close()
    assert http.get(f"/api/v1/blobs/sha256/{hashlib.sha256(data).hexdigest()}").content == data


def test_part_url_checked_before_the_body_is_read(http):  # type: ignore[no-untyped-def]
    data = os.urandom(6 * MiB)
    s = _open(http, data)
    url = http.post(f"/api/v1/uploads/{s['upload_id']}/urls", headers=JSON,
                    json={"parts": [{"part": 2}]}).json()["parts"][0]["url"]
    # A declared length other than the part's is refused before any byte is read.
    resp = http.put(url, content=b"x" * (2 * MiB))
    assert resp.status_code == 400 and "must have" in resp.json()["message"]
    bad = url.replace("signature=", "signature=0")
    assert http.put(bad, content=data[5 * MiB:]).status_code == 403


def test_a_part_cut_off_mid_body_is_not_received_and_logs_no_traceback(
        http, server_url, caplog):  # type: ignore[no-untyped-def]
    """An interrupted client (killed mid-part): the part is not received, the server
    logs one line and no traceback, and the re-sent part completes the upload."""
    import logging
    import socket
    import time
    from urllib.parse import urlsplit

    data = os.urandom(5 * MiB + 3)
    s = _open(http, data)
    parts = _pieces(data, 5 * MiB)
    url = http.post(f"/api/v1/uploads/{s['upload_id']}/urls", headers=JSON, json={
        "parts": [{"part": 1, "sha256": hashlib.sha256(parts[0]).hexdigest()}]}).json()
    target = url["parts"][0]
    where = urlsplit(server_url)
    caplog.set_level(logging.INFO)
    with socket.create_connection((where.hostname, where.port)) as sock:
        head = (f"PUT {target['url']} HTTP/1.1\r\nHost: {where.netloc}\r\n"
                f"Content-Length: {len(parts[0])}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in target["headers"].items()) + "\r\n")
        sock.sendall(head.encode() + parts[0][:MiB])
    deadline = time.time() + 5
    while time.time() < deadline and not any("disconnected" in r.getMessage()
                                             for r in caplog.records):
        time.sleep(0.05)
    assert any("disconnected" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert http.get(f"/api/v1/uploads/{s['upload_id']}").json()["received"] == []
    assert _send(http, s["upload_id"], 1, parts[0]).status_code == 200
    assert _send(http, s["upload_id"], 2, parts[1]).status_code == 200
    done = http.post(f"/api/v1/uploads/{s['upload_id']}/complete", headers=JSON)
    assert done.status_code == 200, done.text


def test_a_session_of_the_old_local_layout_is_opened_anew(http, services):  # type: ignore[no-untyped-def]
    """A session opened by a release that kept a file a part (its handle is the upload
    id) cannot be resumed: asking again drops it, its folder included, and opens a
    new session that completes."""
    import dataclasses
    import secrets

    from modelyard.store.uploads_repo import SqlUploadStore

    data = os.urandom(6 * MiB)
    s = _open(http, data)
    repo = SqlUploadStore(services.store)
    new = repo.get(s["upload_id"])
    assert new is not None
    services.blobs.multipart_abort(new.handle)
    repo.delete(new.id)
    old_id = secrets.token_hex(16)
    repo.insert(dataclasses.replace(new, id=old_id, handle=old_id))
    old_folder = services.blobs.uploads_dir / old_id
    old_folder.mkdir()
    (old_folder / "00001.part").write_bytes(data[:5 * MiB])

    again = _open(http, data)
    assert again["upload_id"] != old_id and not old_folder.exists()
    assert repo.get(old_id) is None
    for n, piece in enumerate(_pieces(data, 5 * MiB), 1):
        assert _send(http, again["upload_id"], n, piece).status_code == 200
    done = http.post(f"/api/v1/uploads/{again['upload_id']}/complete", headers=JSON)
    assert done.status_code == 200 and done.json()["sha256"] == hashlib.sha256(data).hexdigest()
