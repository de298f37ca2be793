"""Once a user exists, every non-public route of every API refuses a request without
a credential (401), and every ``write`` route refuses a read-only token (403)."""

from __future__ import annotations

import re

import httpx

from modelyard.client.http import HttpClient
from modelyard.server.paths import PROBES, is_api_path
from modelyard.server.route_rules import rule_for
from tests.access.test_route_table import _walk


def _call(http: httpx.Client, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    url = re.sub(r"\{[^}]+\}", "x", path)
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    return http.request(method, url, content=body,
                        headers={"content-type": "application/json",
                                 "X-Modelyard-Client": "test", **headers})


def test_every_route_without_a_credential(app, http, admin_token) -> None:  # type: ignore[no-untyped-def]
    routes = sorted(set(_walk(list(app.routes))))
    checked = 0
    for method, path in routes:
        rule = rule_for(method, path)
        if rule == "public" or "{path:path}" in path and path.startswith("/api/v1/docs"):
            continue
        resp = _call(http, method, path, {})
        if not is_api_path(path) and not path.startswith(PROBES):  # a web UI page
            if method == "GET":  # a browser is sent to sign in
                assert resp.status_code == 303, (method, path, resp.status_code)
                assert resp.headers["location"].startswith("/login?next=")
            else:
                assert resp.status_code == 401 and "UNAUTHENTICATED" in resp.text, (method, path)
            checked += 1
            continue
        assert resp.status_code == 401, (method, path, resp.status_code, resp.text)
        assert resp.json()["error_code"] == "UNAUTHENTICATED"
        checked += 1
    assert checked > 140


def test_every_write_route_refuses_a_read_token(app, http, admin_token) -> None:  # type: ignore[no-untyped-def]
    with HttpClient(str(http.base_url), token=admin_token) as root:
        token = root.create_token("ro", scope="read").secret
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in sorted(set(_walk(list(app.routes)))):
        if rule_for(method, path) != "write":
            continue
        resp = _call(http, method, path, headers)
        assert resp.status_code == 403, (method, path, resp.status_code, resp.text)
