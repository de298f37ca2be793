"""The ClearML API against a hostile or careless client, over plain HTTP with users:
a browser's session is no credential here (ClearML's calls answer GET with their
fields in the query string, so a link could otherwise change data); the login token
gives away no secret and its expiry cannot be moved; a refused call leaves nothing of
itself behind; fields of the wrong shape, numbers beyond range and odd paths are
errors in the envelope, never a 500 or a document that breaks later calls."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.domain.entities import ANONYMOUS

API = "/clearml/api/v2.23"
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def root(services) -> str:  # type: ignore[no-untyped-def]
    """Ends the open mode: the first admin's token."""
    token = services.access.create_user(ANONYMOUS, "root", is_admin=True).token
    assert token
    return token


def _login(url: str, token: str) -> str:
    r = httpx.get(f"{url}/clearml/api/auth.login", auth=(token, ""))
    assert r.status_code == 200, r.text
    jwt: str = r.json()["data"]["token"]
    return jwt


def _call(url: str, name: str, body: Any, jwt: str, method: str = "POST") -> httpx.Response:
    return httpx.request(method, f"{url}{API}/{name}", content=json.dumps(body),
                         headers={"Content-Type": "application/json",
                                  "Authorization": f"Bearer {jwt}"})


def _data(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["result_code"] == 200
    data: dict[str, Any] = r.json()["data"]
    return data


def _refused(r: httpx.Response, status: int = 400) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["meta"]["result_code"] == status and body["request_id"]
    message: str = body["message"]
    return message


def _claims(jwt: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(jwt.split(".")[1] + "=="))
    return claims


def _jwt(claims: dict[str, Any], sig: bytes = b"x") -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    return ".".join([b64(b'{"alg":"HS256","typ":"JWT"}'), b64(json.dumps(claims).encode()),
                     b64(sig)])


def test_a_browser_session_makes_no_clearml_call(server_url: str, root: str) -> None:
    with HttpClient(server_url, token=root) as admin:
        admin.create_user("carol", password="carol-password", admin=True)
    with httpx.Client(base_url=server_url) as browser:
        assert browser.post("/auth/login", json={"user": "carol",
                                                 "password": "carol-password"}).status_code == 200
        assert browser.get("/api/v1/whoami").json()["principal"]["name"] == "carol"
        # What a link on another site makes the browser send: a GET with the cookie.
        r = browser.get(f"{API}/projects.create", params={"name": "planted"})
        assert _refused(r, 401)
    jwt = _login(server_url, root)
    names = [p["name"] for p in _data(_call(server_url, "projects.get_all", {}, jwt))["projects"]]
    assert "planted" not in names


def test_the_login_token_holds_no_secret_and_its_claims_are_signed(
        server_url: str, root: str, services) -> None:  # type: ignore[no-untyped-def]
    jwt = _login(server_url, root)
    claims = _claims(jwt)
    secret = root.split("_", 2)[2]  # my_<id>_<secret>: the secret may hold "_" itself
    assert secret not in base64.urlsafe_b64decode(jwt.split(".")[1] + "==").decode()
    assert root not in json.dumps(claims)
    assert _data(_call(server_url, "projects.get_all", {}, jwt))
    # A later expiry, or a token of the old form (the secret in the claims), is refused.
    for forged in (_jwt({**claims, "exp": claims["exp"] + 10 ** 8}, b"sig"),
                   _jwt({**claims, "tok": root})):
        _refused(_call(server_url, "projects.get_all", {}, forged), 401)
    # Signed with the server's key, claims out of shape are a 401, never a 500.
    for body in (b'{"tok":"x","exp":1e400}', b'{"tok":"x","exp":"soon"}', b'[1]'):
        signing = _jwt({}).split(".")[0] + "." + \
            base64.urlsafe_b64encode(body).rstrip(b"=").decode()
        sig = services.keys.box().mac(b"clearml-jwt", signing.encode())
        token = signing + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
        _refused(_call(server_url, "tasks.get_all", {}, token), 401)


def test_a_refused_call_leaves_nothing_behind(server_url: str, root: str) -> None:
    jwt = _login(server_url, root)
    pid = _data(_call(server_url, "projects.create", {"name": "hostile"}, jwt))["id"]
    r = _call(server_url, "tasks.create", {"name": "tt", "project": pid,
                                           "hyperparams": {"a\x00": {"b": {"value": "1"}}}}, jwt)
    _refused(r)
    tasks = _data(_call(server_url, "tasks.get_all", {"project": [pid]}, jwt))["tasks"]
    assert [t["name"] for t in tasks] == []

    tid = _data(_call(server_url, "tasks.create", {"name": "t", "project": pid,
                                                   "hyperparams": {"g": {"lr": {"value": "0.1"}}}},
                      jwt))["id"]
    task = _data(_call(server_url, "tasks.get_by_id", {"task": tid}, jwt))["task"]
    assert task["hyperparams"]["g"]["lr"]["value"] == "0.1"
    _refused(_call(server_url, "tasks.edit", {"task": tid, "comment": "CHANGED",
                                              "name": "x" * 100_000}, jwt))
    task = _data(_call(server_url, "tasks.get_by_id", {"task": tid}, jwt))["task"]
    assert task["comment"] != "CHANGED" and task["name"] == "t"


def test_fields_of_the_wrong_shape_are_refused(server_url: str, root: str) -> None:
    jwt = _login(server_url, root)
    pid = _data(_call(server_url, "projects.create", {"name": "shapes"}, jwt))["id"]
    tid = _data(_call(server_url, "tasks.create", {"name": "t", "project": pid}, jwt))["id"]
    for edit in ({"models": [1]}, {"execution": "s"}, {"hyperparams": [1]}, {"tags": 5}):
        _refused(_call(server_url, "tasks.edit", {"task": tid, **edit}, jwt))
    _refused(_call(server_url, "tasks.add_or_update_artifacts", {"task": tid, "artifacts": 5},
                   jwt))
    # Every call on the task still works: nothing out of shape was stored.
    _data(_call(server_url, "tasks.add_or_update_model",
                {"task": tid, "name": "m", "model": "x", "type": "output"}, jwt))
    _data(_call(server_url, "tasks.add_or_update_artifacts",
                {"task": tid, "artifacts": [{"key": "a", "type": "str"}]}, jwt))
    _data(_call(server_url, "tasks.edit_hyper_params",
                {"task": tid, "hyperparams": [{"section": "g", "name": "n", "value": "1"}]}, jwt))

    mid = _data(_call(server_url, "models.create", {"name": "m", "project": pid}, jwt))["id"]
    for edit in ({"metadata": [1, 2]}, {"metadata": 5}, {"uri": {"a": 1}}, {"name": ["x"]},
                 {"design": "d"}):
        _refused(_call(server_url, "models.edit", {"model": mid, **edit}, jwt))
    # ClearML's own form of metadata, a list, is stored as the SDK reads it back.
    _data(_call(server_url, "models.edit", {"model": mid, "metadata": [
        {"key": "k0", "type": "int", "value": "1"}]}, jwt))
    _refused(_call(server_url, "models.add_or_update_metadata", {"model": mid, "metadata": 5},
                   jwt))
    for call in ("tasks.get_all", "models.get_all", "projects.get_all"):  # one lookup an id
        assert "at most 10000 ids" in _refused(_call(server_url, call,
                                                     {"id": ["x"] * 10_001}, jwt))
    _data(_call(server_url, "models.add_or_update_metadata",
                {"model": mid, "metadata": [{"key": "k", "type": "str", "value": "v"}]}, jwt))
    model = _data(_call(server_url, "models.get_by_id", {"model": mid}, jwt))["model"]
    assert model["name"] == "m" and model["metadata"]["k"]["value"] == "v"
    # "false" from a query string is false: a completed task is not started again.
    _data(_call(server_url, "tasks.completed", {"task": tid, "force": True}, jwt))
    r = httpx.get(f"{server_url}{API}/tasks.started", params={"task": tid, "force": "false"},
                  headers={"Authorization": f"Bearer {jwt}"})
    assert "invalid task status" in _refused(r)


@pytest.mark.parametrize("body", [b'{"page_size": 1e400}', b'{"page_size": Infinity}',
                                  b'{"page_size": NaN}'])
def test_numbers_beyond_range_are_malformed(server_url: str, root: str, body: bytes) -> None:
    jwt = _login(server_url, root)
    r = httpx.post(f"{server_url}{API}/tasks.get_all", content=body,
                   headers={"Content-Type": "application/json", "Authorization": f"Bearer {jwt}"})
    assert "malformed" in _refused(r)
    # An event batch reads them (the SDK reports NaN when told to): that event fails alone.
    pid = _data(_call(server_url, "projects.create", {"name": "events"}, jwt))["id"]
    tid = _data(_call(server_url, "tasks.create", {"name": "t", "project": pid}, jwt))["id"]
    event = body.replace(b"page_size", b"timestamp")[:-1] + (
        f', "task": "{tid}", "type": "training_stats_scalar", "metric": "m", "variant": "v", '
        '"value": 1.0, "iter": 1}').encode()
    good = json.dumps({"task": tid, "type": "training_stats_scalar", "metric": "m",
                       "variant": "v", "value": 2.0, "iter": 2, "timestamp": 1}).encode()
    r = httpx.post(f"{server_url}{API}/events.add_batch", content=event + b"\n" + good,
                   headers={"Content-Type": "application/json", "Authorization": f"Bearer {jwt}"})
    assert (_data(r)["added"], _data(r)["errors"]) == (1, 1)


def test_odd_paths_and_oversized_bodies_answer_in_the_envelope(
        server_url: str, root: str) -> None:
    jwt = _login(server_url, root)
    auth = {"Authorization": f"Bearer {jwt}"}
    for path in ("_versions/61/%C2%B2/x", "_versions/61/" + "9" * 5000 + "/x",
                 f"p/t.{'0' * 32}/models/none.bin"):
        r = httpx.get(f"{server_url}/clearml/files/{path}", headers=auth)
        assert r.status_code == 404 and r.json()["request_id"], r.text
    r = httpx.post(f"{server_url}{API}/tasks.get_all",
                   content=b'{"x": "' + b"a" * (33 << 20) + b'"}',
                   headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json()["meta"]["result_code"] == 413 and r.json()["error_code"] \
        == "REQUEST_LIMIT_EXCEEDED"


def test_a_model_is_registered_only_by_who_may_write_its_project(
        server_url: str, root: str) -> None:
    """dave may change models of the registry project ``proj`` but only read the
    ClearML project's experiment: models.create is refused, and no version is made."""
    jwt = _login(server_url, root)
    pid = _data(_call(server_url, "projects.create", {"name": "proj"}, jwt))["id"]
    tid = _data(_call(server_url, "tasks.create", {"name": "a", "project": pid}, jwt))["id"]
    path = f"/proj/a.{tid}/models/m.bin"
    r = httpx.post(f"{server_url}/clearml/files", headers={"Authorization": f"Bearer {jwt}"},
                   files={path: (path, b"weights", "binary/octet-stream")})
    assert r.status_code == 200, r.text
    # A first model makes the registry project "proj" (the admin may create it).
    uri = f"{server_url}/clearml/files{path}"
    _data(_call(server_url, "models.create", {"project": pid, "uri": uri, "name": "first"}, jwt))
    with HttpClient(server_url, token=root) as admin:
        admin.create_user("dave", password="dave-password")
        token = admin.create_token("dave-key", user="dave").secret
        assert token
        admin.grant_role("dave", "editor", project="proj")
        admin.grant_role("dave", "viewer", project="default")
    dave_jwt = _login(server_url, token)
    r = _call(server_url, "models.create", {"project": pid, "uri": uri, "name": "dm"}, dave_jwt)
    _refused(r, 403)
    with HttpClient(server_url, token=root) as admin:
        assert "dm" not in [m.name for m in admin.search_models().items]
