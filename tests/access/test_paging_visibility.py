"""Invisible means invisible, fully: searches and event lists are filtered in the store
query, before paging (full pages, no gap, no duplicate, a right next_page_token, on
every database), and lineage and deployments drop what the caller may not read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelyard.client.http import HttpClient
from modelyard.errors import NotFound
from tests.conftest import BACKENDS
from tests.services import create_server_db, migrate_database, truncate_all

N = 30  # models in the default project; the reader gets every third one


def backend_db_url(kind: str, tmp_path: Path, _server_dbs: dict[str, str]) -> str:
    """A migrated, empty database on backend ``kind`` (this folder's tests run on
    SQLite unless they ask for every backend, as here)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'meta.db'}"
        migrate_database(url)
        return url
    if kind not in _server_dbs:
        url = create_server_db(kind)
        migrate_database(url)
        _server_dbs[kind] = url
    truncate_all(_server_dbs[kind])
    return _server_dbs[kind]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _server_dbs: dict[str, str]) -> str:
    return backend_db_url(request.param, tmp_path, _server_dbs)


@pytest.fixture
def small_model(tmp_path: Path) -> Path:
    d = tmp_path / "small"
    d.mkdir()
    (d / "w.bin").write_bytes(b"weights")
    return d


@pytest.fixture
def reader(server_url: str, admin_token: str, small_model: Path) -> Iterator[str]:
    """``m00``..``m29`` in project ``many`` with a version each; reader may read every
    third, plus the default project (models ``s1``, ``s2``; lineage and deployments
    need it) as a whole; ``m02/1`` is fine-tuned from ``m01/1`` (hidden),
    which is fine-tuned from ``m00/1`` (readable); ``m01/1`` and ``m03/1`` are
    deployed."""
    with HttpClient(server_url, token=admin_token) as root:
        root.create_user("reader")
        token = root.create_token("t", user="reader").secret or ""
        root.create_project("many")
        for i in range(N):
            name = f"m{i:02d}"
            root.create_model(name, project="many")
            parents = [f"m{i - 1:02d}/1"] if i in (1, 2) else None
            root.register(name, small_model, parents=parents)
            if i % 3 == 0:
                root.grant_role("reader", "viewer", model=name)
        for name in ("s1", "s2"):
            root.create_model(name)
            root.register(name, small_model)
        root.grant_role("reader", "viewer", project="default")
        hidden = root.record_deployment("m01", 1, "http://hidden.example/").id
        root.record_deployment("m03", 1, "http://shown.example/")
    with HttpClient(server_url, token=token) as c, pytest.raises(NotFound):
        c.get_deployment(hidden)
    yield token


def _pages(fetch: Any, size: int) -> list[list[Any]]:
    pages, token = [], None
    while True:
        page = fetch(max_results=size, page_token=token)
        pages.append(page.items)
        token = page.next_page_token
        if token is None:
            return pages


def _full(pages: list[list[Any]], size: int, total: int) -> None:
    assert [len(p) for p in pages[:-1]] == [size] * (len(pages) - 1)
    assert 0 < len(pages[-1]) <= size
    assert sum(map(len, pages)) == total


READABLE = sorted([f"m{i:02d}" for i in range(0, N, 3)] + ["s1", "s2"])


def test_search_pages_are_full_and_exact(server_url: str, reader: str) -> None:
    with HttpClient(server_url, token=reader) as c:
        pages = _pages(lambda **kw: c.search_models(order_by=["name ASC"], **kw), 4)
        _full(pages, 4, len(READABLE))
        assert [m.name for p in pages for m in p] == READABLE
        pages = _pages(lambda **kw: c.search_versions(order_by=["name ASC"], **kw), 5)
        _full(pages, 5, len(READABLE))
        assert [v.model for p in pages for v in p] == READABLE
        # A filter and the readable set together; a page size that divides exactly.
        pages = _pages(lambda **kw: c.search_models("name LIKE 'm%'", ["name ASC"], **kw), 5)
        assert [len(p) for p in pages] == [5, 5]
        assert c.search_models(max_results=1000).next_page_token is None


def test_event_pages_are_full_and_hide_the_rest(server_url: str, reader: str,
                                                admin_token: str) -> None:
    with HttpClient(server_url, token=admin_token) as root:
        every = root.list_events(max_results=1000).items
    models = set(READABLE)
    expected = [e.id for e in every if e.entity_type not in ("user", "token", "grant", "auth")
                and (e.project == "default" or (e.entity_id.split("/")[0].split("@")[0] in models
                                             and e.entity_type != "deployment"))]
    with HttpClient(server_url, token=reader) as c:
        pages = _pages(lambda **kw: c.list_events(**kw), 7)
        _full(pages, 7, len([e for p in pages for e in p]))
        shown = [e for p in pages for e in p]
        ids = [e.id for e in shown]
        assert len(ids) == len(set(ids))
        assert set(expected) <= set(ids)
        for e in shown:
            assert e.project == "default" or e.model_id is not None
            assert "m01" not in str(e.to_dict())
        with pytest.raises(NotFound):
            c.list_events(model="m01")
        assert c.list_events(model="m03", max_results=100).items


def test_lineage_and_deployments_drop_hidden_models(server_url: str, reader: str) -> None:
    with HttpClient(server_url, token=reader) as c:
        with pytest.raises(NotFound):
            c.lineage("model-version:m01/1")
        # m02 is hidden too (2 % 3 != 0); m00 is readable and m01 (its child) is not.
        graph = c.lineage("model-version:m00/1", direction="downstream", depth=5)
        assert [n.id for n in graph.nodes] == ["model-version:m00/1"]
        assert graph.edges == []
        assert "m01" not in str(graph.to_dict()) and "m02" not in str(graph.to_dict())
        deps = c.list_deployments()
        assert [d.model for d in deps] == ["m03"]
        with pytest.raises(NotFound):
            c.list_deployments(model="m01")
