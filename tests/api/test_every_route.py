"""Every route answers junk with a JSON error and a 4xx, never a 500 or a traceback."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'meta.db'}"


JUNK_BODIES = [b"{", b"[]", b'{"name": 5, "version": "x", "files": "nope", "run_id": []}',
               b"\xff\xfe", b'{"' + b"a" * 1000 + b'": null}']


# Path parameters: a plain word, a number, an MLflow logged-model id, and traversal.
FILLERS = ["x", "1", "m-" + "0" * 32, "..%2f%00x"]


def _walk(routes, prefix=""):
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route.methods
        elif hasattr(route, "original_router"):  # an included router
            ctx = getattr(route, "include_context", None)
            yield from _walk(route.original_router.routes, prefix + (getattr(ctx, "prefix", "") or ""))


def _routes(app):
    for path, methods in _walk(app.routes):
        if path.startswith("/api/"):
            for method in sorted(methods - {"HEAD", "OPTIONS"}):
                yield method, path


def test_junk_everywhere(app, http, model_dir):
    from modelyard.client.http import HttpClient

    with HttpClient(str(http.base_url).rstrip("/")) as c:  # so handlers get past lookups
        c.register("x", model_dir)
        c.set_alias("x", "x", 1)
        c.create_experiment("x") if hasattr(c, "create_experiment") else None
    seen = 0
    for method, path, filler in [(m, p, f) for m, p in _routes(app) for f in FILLERS]:
        url = re.sub(r"\{[^}]+\}", filler, path)
        for body in JUNK_BODIES if method in ("POST", "PUT", "PATCH") else [None]:
            resp = http.request(method, url, content=body,
                                params={"max_results": "-1", "filter": "((", "run_id": "x"},
                                headers={"content-type": "application/json"} if body else {})
            seen += 1
            assert resp.status_code < 500, (method, path, body, resp.text)
            if resp.status_code >= 400:
                data = resp.json()
                assert data["error_code"] and data["message"], (method, path)
                assert "Traceback" not in resp.text
    assert seen > 500
