"""ClearML's wire rules over plain HTTP: the envelope on every answer (errors too),
GET with a JSON body, unknown keys ignored, bounded name queries, confined paths."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx


def _call(url: str, name: str, body: dict[str, Any], token: str | None = None,
          method: str = "GET") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.request(method, f"{url}/clearml/api/v2.23/{name}", content=json.dumps(body),
                         headers=headers)


def _login(url: str) -> str:
    r = httpx.get(f"{url}/clearml/api/auth.login", auth=("any", "pair"))
    assert r.status_code == 200 and r.json()["meta"]["result_code"] == 200
    token: str = r.json()["data"]["token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["api_version"] == "2.23" and claims["feature_set"] == "basic"
    return token


def test_envelope_and_task_lifecycle(server_url: str) -> None:
    token = _login(server_url)
    pid = _call(server_url, "projects.create", {"name": "p/q r", "method": "get"},
                token).json()["data"]["id"]
    found = _call(server_url, "projects.get_all", {"name": "^p/q\\ r$"}, token).json()
    assert [p["id"] for p in found["data"]["projects"]] == [pid]
    tid = _call(server_url, "tasks.create", {"name": "t", "type": "training", "project": pid,
                                             "unknown": 1}, token, "POST").json()["data"]["id"]
    task = _call(server_url, "tasks.get_by_id", {"task": tid}, token).json()["data"]["task"]
    assert task["status"] == "created" and task["output"] == {}
    _call(server_url, "tasks.started", {"task": tid}, token)
    _call(server_url, "tasks.edit", {"task": tid, "force": True, "output_dest": "x://y"}, token)
    _call(server_url, "tasks.edit", {"task": tid, "force": True, "comment": "c"}, token)
    task = _call(server_url, "tasks.get_by_id", {"task": tid}, token).json()["data"]["task"]
    assert task["status"] == "in_progress" and task["output"] == {"destination": "x://y"}
    assert task["comment"] == "c"
    _call(server_url, "tasks.completed", {"task": tid}, token)
    again = _call(server_url, "tasks.started", {"task": tid}, token)
    assert again.status_code == 400 and again.json()["meta"]["result_code"] == 400


def test_errors_are_envelopes(server_url: str) -> None:
    token = _login(server_url)
    missing = _call(server_url, "models.get_by_id", {"model": "abcdefp1"}, token)
    assert missing.status_code == 400
    assert (missing.json()["meta"]["result_code"], missing.json()["meta"]["result_subcode"]) \
        == (400, 201)
    unknown = _call(server_url, "queues.get_all", {}, token)
    assert unknown.status_code == 404 and unknown.json()["meta"]["result_code"] == 404
    regex = _call(server_url, "projects.get_all", {"name": "(a+)+$"}, token)
    assert regex.status_code == 400 and "meta" in regex.json()
    bad = httpx.get(f"{server_url}/clearml/api/v2.23/tasks.get_all",
                    headers={"Authorization": "Bearer eyJx.eyJ5.z"})
    assert "meta" in bad.json()


def test_file_paths_are_confined(server_url: str) -> None:
    token = _login(server_url)
    auth = {"Authorization": f"Bearer {token}"}
    for path in ("../../etc/passwd", "p/t.%s/../../x" % ("0" * 32), "a/b"):
        r = httpx.post(f"{server_url}/clearml/files/", headers=auth,
                       files={path: (path, b"data", "binary/octet-stream")})
        assert r.status_code == 400, path
    r = httpx.get(f"{server_url}/clearml/files/..%2F..%2Fetc%2Fpasswd", headers=auth)
    assert r.status_code in (400, 404)


def test_uploads_stream_and_a_truncated_one_stores_nothing(server_url: str) -> None:
    token = _login(server_url)
    auth = {"Authorization": f"Bearer {token}"}
    pid = _call(server_url, "projects.create", {"name": "up"}, token).json()["data"]["id"]
    tid = _call(server_url, "tasks.create", {"name": "t", "project": pid},
                token).json()["data"]["id"]
    path = f"/up/t.{tid}/models/w.bin"
    data = bytes(range(256)) * 4096 + b"\r\n--not-the-boundary\r\n"  # 1 MiB and a trap
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{path}"; '
            f'filename="{path}"\r\nContent-Type: binary/octet-stream\r\n\r\n').encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()

    def chunks(raw: bytes, size: int = 7777):  # type: ignore[no-untyped-def]
        for i in range(0, len(raw), size):
            yield raw[i:i + size]

    headers = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = httpx.post(f"{server_url}/clearml/files", headers=headers, content=chunks(body))
    assert r.status_code == 200 and r.json()[0]["size"] == len(data)
    got = httpx.get(f"{server_url}/clearml/files{path}", headers=auth)
    assert got.status_code == 200 and got.content == data
    cut = path.replace("w.bin", "cut.bin")
    truncated = body.replace(path.encode(), cut.encode())[:-len(boundary) - 8]
    r = httpx.post(f"{server_url}/clearml/files", headers=headers, content=truncated)
    assert r.status_code == 400 and r.json()["meta"]["result_code"] == 400
    assert httpx.get(f"{server_url}/clearml/files{cut}", headers=auth).status_code in (400, 404)
