"""Every page of the web UI renders on every database backend (the browser tests run on
SQLite): the seed data made through the SDK, then each page fetched over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelyard.client.local import LocalClient
from tests.ui.seed import seed


def test_every_page_renders(services: Any, http: Any, tmp_path: Path) -> None:
    d = seed(LocalClient("ui", services=services), tmp_path)
    m, run = d.model, d.run_ids[0]
    pages = [
        "/", "/models?stage=Production", "/models?alias=nope", "/models?tag=team%3Drisk",
        "/models?q=name+LIKE+%27fr%25%27&project=default", f"/models/{m}",
        f"/models/{m}?sort=-metric:auc", f"/models/{m}/versions/{d.versions[-1]}",
        f"/models/{m}/diff", "/experiments", f"/experiments/{d.experiment_id}",
        f"/experiments/{d.experiment_id}?order=metrics.%60auc%60+DESC",
        f"/runs/{run}", f"/runs/{run}?scale=log&preview=reports/confusion.csv",
        "/compare?" + "&".join(f"run={r}" for r in d.run_ids), "/datasets",
        f"/datasets/{d.dataset}", "/audit", "/audit?entity_type=version&model=" + m,
        "/admin/users", "/admin/tokens", "/admin/roles", "/login"]
    for path in pages:
        r = http.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert r.headers["content-type"].startswith("text/html")
        assert 'class="error"' not in r.text, path
    assert m in http.get("/models?alias=champion").text
    assert "No models match" in http.get("/models?alias=nope").text


def test_pages_and_probes_answer_head(http: Any) -> None:
    """HEAD is answered as GET is, with no body (uptime monitors and link checkers use it)."""
    for path in ("/", "/models", "/experiments", "/login", "/health", "/ready",
                 "/static/app.css"):
        got, head = http.get(path), http.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.content == b"", path
