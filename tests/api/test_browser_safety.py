"""What a browser may do with the server: the API docs load from this machine only and
may not be framed; downloads are never sniffed or run; no HTML form and no simple
cross-site request can change anything."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.api.test_every_route import _routes


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'meta.db'}"


def test_docs_are_served_from_this_machine(http):
    resp = http.get("/api/v1/docs")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    policy = resp.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "http" not in policy
    assert resp.headers["x-frame-options"] == "DENY"
    page = resp.text
    assert "<script>" not in page  # no inline script: the policy allows none
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/api/v1/docs") for u in urls), urls
    for url in urls:
        asset = http.get(url)
        assert asset.status_code == 200 and asset.content, url
    assert b"SwaggerUIBundle" in http.get("/api/v1/docs/assets/swagger-ui-bundle.js").content
    assert "/api/v1/openapi.json" in http.get("/api/v1/docs/init.js").text


def _check_download(resp):
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-security-policy"] == "sandbox"


def test_downloads_are_neither_sniffed_nor_run(http, model_dir):
    from modelyard.client.http import HttpClient

    html = b"<html><script>alert(document.cookie)</script></html>"
    digest = hashlib.sha256(html).hexdigest()
    assert http.put(f"/api/v1/blobs/sha256/{digest}", content=html).status_code == 200
    http.post("/api/v1/models", json={"name": "m"})
    http.post("/api/v1/models/m/versions",
              json={"files": [{"path": "index.html", "size": len(html), "sha256": digest}]})
    _check_download(http.get(f"/api/v1/blobs/sha256/{digest}"))
    _check_download(http.get("/api/v1/models/m/versions/1/files/index.html"))
    _check_download(http.get("/api/2.0/mlflow-artifacts/artifacts/model-versions/m/1/"
                             "index.html"))
    run = http.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"}).json()[
        "run"]["info"]["run_id"]
    assert http.put(f"/api/2.0/mlflow-artifacts/artifacts/0/{run}/artifacts/page.html",
                    content=html, headers={"content-type": "text/html"}).status_code == 200
    _check_download(http.get(f"/api/2.0/mlflow-artifacts/artifacts/0/{run}/artifacts/page.html"))
    _check_download(http.get(f"/api/v1/runs/{run}/artifacts/page.html"))
    with HttpClient(str(http.base_url).rstrip("/")) as c:
        c.register("x", model_dir)
    for resp in (http.get("/api/v1/models"), http.get("/api/v1/nothing")):
        assert resp.headers["x-content-type-options"] == "nosniff"


SIMPLE = [{"content-type": "text/plain"}, {"content-type": "application/x-www-form-urlencoded"},
          {"content-type": "multipart/form-data; boundary=x"}, {}]


@pytest.mark.parametrize("headers", SIMPLE, ids=["text", "form", "multipart", "none"])
def test_simple_cross_site_requests_change_nothing(http, headers):
    http.post("/api/v1/models", json={"name": "m"})
    assert http.delete("/api/v1/models/m", headers={"content-type": "application/json"}
                       ).status_code == 200
    resp = http.post("/api/v1/models/m/restore", content=b"", headers=headers)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert http.get("/api/v1/models/m").status_code == 404  # still deleted
    resp = http.post("/api/v1/models", content=b"name=evil", headers=headers)
    assert resp.status_code == 400
    assert http.get("/api/v1/models/evil").status_code == 404
    # a client that says who it is, or sends JSON, may
    assert http.post("/api/v1/models/m/restore",
                     headers={"X-Modelyard-Client": "sdk"}).status_code == 200
    assert http.post("/api/v1/models/m/rename", json={"new_name": "n"}).status_code == 200
    assert http.delete("/api/v1/models/n", headers={"X-Requested-With": "fetch"}
                       ).status_code == 200


def test_every_mutating_route_refuses_a_form(app, http):
    seen = 0
    for method, route in _routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        if method != "POST" and (route.startswith(("/api/2.0/", "/api/3.0/", "/ajax-api/"))
                                 or "blobs/sha256" in route or route.endswith("/parts/{part}")):
            continue  # not a simple method: a browser asks before sending it cross-site
        path = re.sub(r"\{[^}]+\}", "x", route)
        resp = http.request(method, path, content=b"a=b",
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert resp.status_code == 400, (method, route, resp.text)
        assert "X-Modelyard-Client" in resp.json()["message"], (method, route)
        seen += 1
    assert seen > 60
