"""Upload sessions under roles: opening one is the rule of uploading a blob (write
access somewhere); a session is its creator's alone (another principal gets 404 for
it, as for anything it may not see); a part URL's signature is the permission to
send that part, whoever sends it."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest

from modelyard.client.http import HttpClient

MiB = 1 << 20


@pytest.fixture
def tokens(server_url: str, admin_token: str) -> dict[str, str]:
    with HttpClient(server_url, token=admin_token) as root:
        out = {}
        for name, role in (("writer", "editor"), ("other", "editor"), ("viewer", "viewer")):
            root.create_user(name, password=f"{name}-password")
            out[name] = root.create_token("t", user=name).secret or ""
            root.grant_role(name, role, project="default")
    return out


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "content-type": "application/json"}


def test_sessions_belong_to_their_creator(server_url: str, tokens: dict[str, str]) -> None:
    data = os.urandom(6 * MiB)
    body = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "part_size": 5 * MiB}
    with httpx.Client(base_url=server_url, timeout=30) as http:
        assert http.post("/api/v1/uploads", json=body,
                         headers={"content-type": "application/json"}).status_code == 401
        viewer = http.post("/api/v1/uploads", json=body, headers=_h(tokens["viewer"]))
        assert viewer.status_code == 403
        s = http.post("/api/v1/uploads", json=body, headers=_h(tokens["writer"])).json()
        sid = s["upload_id"]
        for path in (f"/api/v1/uploads/{sid}",):
            assert http.get(path, headers=_h(tokens["other"])).status_code == 404
        for path in (f"/api/v1/uploads/{sid}/complete", f"/api/v1/uploads/{sid}/urls"):
            resp = http.post(path, json={"parts": [{"part": 1}]}, headers=_h(tokens["other"]))
            assert resp.status_code == 404, path
        assert http.delete(f"/api/v1/uploads/{sid}", headers={
            **_h(tokens["other"]), "X-Modelyard-Client": "t"}).status_code == 404
        # Another editor opening the same blob gets a session of its own.
        theirs = http.post("/api/v1/uploads", json=body, headers=_h(tokens["other"])).json()
        assert theirs["upload_id"] != sid
        # The creator's part URL works with no credential at all.
        piece = data[:5 * MiB]
        url = http.post(f"/api/v1/uploads/{sid}/urls", headers=_h(tokens["writer"]), json={
            "parts": [{"part": 1, "sha256": hashlib.sha256(piece).hexdigest()}]}
        ).json()["parts"][0]["url"]
        assert http.put(url, content=piece).status_code == 200
        got = http.get(f"/api/v1/uploads/{sid}", headers=_h(tokens["writer"])).json()
        assert got["received"] == [{"part": 1, "size": 5 * MiB}]
