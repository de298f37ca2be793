"""Roles per project and per model, checked in the domain: the same answers through
REST, the MLflow API and the SDK (both transports).  What an actor may not read is
404 and absent from every list."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.client.local import LocalClient
from modelyard.errors import NotFound, PermissionDenied


@pytest.fixture
def people(server_url: str, admin_token: str, model_dir: Path) -> Iterator[dict[str, str]]:
    """root (admin), a viewer, an editor and a maintainer of project ``risk``, and an
    outsider; model ``fraud`` (two versions) in ``risk``, model ``other`` in default."""
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("risk")
        tokens = {"root": admin_token}
        for name in ("viewer", "editor", "maintainer", "outsider"):
            root.create_user(name, password=f"{name}-password")
            tokens[name] = root.create_token("t", user=name).secret or ""
        for name in ("viewer", "editor", "maintainer"):
            root.grant_role(name, name, project="risk")
        root.create_model("fraud", project="risk")
        root.register("fraud", model_dir)
        root.register("fraud", model_dir)
        root.set_alias("fraud", "production", 1)
        root.create_model("other")
    yield tokens


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "content-type": "application/json",
            "X-Modelyard-Client": "test"}


def test_invisible_means_404_and_absent_everywhere(server_url: str, people: dict[str, str]) -> None:
    with HttpClient(server_url, token=people["outsider"]) as c:
        for call in (lambda: c.get_model("fraud"), lambda: c.get_version("fraud", 1),
                     lambda: c.resolve("fraud@production"),
                     lambda: c.set_alias("fraud", "production", 2),
                     lambda: c.delete_model("fraud")):
            with pytest.raises(NotFound):
                call()
        assert c.search_models().items == []
        assert c.search_versions().items == []
        assert c.list_events().items == []
        assert c.list_projects() == []
        # The default project always exists: a user without a role there is told the
        # role is missing (403), not that the project does not exist; another project
        # stays invisible.
        with pytest.raises(PermissionDenied, match="write access"):
            c.create_model("mine")
        with pytest.raises(NotFound, match="project 'risk' does not exist"):
            c.create_model("mine", project="risk")
    with HttpClient(server_url, token=people["viewer"]) as v:
        events = v.list_events(max_results=1000).items
        assert events and {e.project for e in events} == {"risk"}
        assert not any(e.entity_type in ("user", "token", "grant", "auth") for e in events)
        assert [p.name for p in v.list_projects()] == ["risk"]
    with httpx.Client(base_url=server_url) as h:
        resp = h.get("/api/2.0/mlflow/registered-models/get", params={"name": "fraud"},
                     headers=_h(people["outsider"]))
        assert resp.status_code == 404 and resp.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        found = h.get("/api/2.0/mlflow/registered-models/search",
                      headers=_h(people["outsider"])).json()
        assert found.get("registered_models", []) == []
        found = h.get("/api/2.0/mlflow/registered-models/search",
                      headers=_h(people["viewer"])).json()
        assert [m["name"] for m in found["registered_models"]] == ["fraud"]


# operation -> the least role that may do it (on model ``fraud`` in project ``risk``)
OPERATIONS = {
    "get model": ("viewer", lambda c: c.get_model("fraud")),
    "resolve alias": ("viewer", lambda c: c.resolve("fraud@production")),
    "set model tag": ("editor", lambda c: c.set_model_tag("fraud", "k", "v")),
    "describe version": ("editor", lambda c: c.update_version("fraud", 1, "d")),
    "create model in risk": ("editor", lambda c: c.create_model("new-" + uuid.uuid4().hex,
                                                                project="risk")),
    "move alias": ("maintainer", lambda c: c.set_alias("fraud", "production", 2)),
    "stage": ("maintainer", lambda c: c.transition_stage("fraud", 2, "Staging")),
    "delete version": ("maintainer", lambda c: c.delete_version("fraud", 2)),
    "grant on model": ("maintainer", lambda c: c.grant_role("outsider", "viewer", model="fraud")),
    "create project": ("root", lambda c: c.create_project("p" + uuid.uuid4().hex[:12])),
}
ORDER = ["outsider", "viewer", "editor", "maintainer", "root"]


@pytest.mark.parametrize("transport", ["http", "local"])
def test_outcome_table_through_the_sdk(services, server_url: str, people: dict[str, str],
                                       transport: str) -> None:
    """Each actor against each operation, in role order, each call on a fresh
    state-independent operation; the outcome is 'ok', 'denied' (403) or 'hidden' (404)."""
    seen: dict[tuple[str, str], str] = {}
    for actor in ORDER:
        if transport == "http":
            c = HttpClient(server_url, token=people[actor])
        else:
            c = LocalClient("test", services=services, token=people[actor])
        for op, (_, call) in OPERATIONS.items():
            if op in ("delete version", "move alias", "stage"):
                continue  # stateful: below
            try:
                call(c)
                seen[(actor, op)] = "ok"
            except PermissionDenied:
                seen[(actor, op)] = "denied"
            except NotFound:
                seen[(actor, op)] = "hidden"
    for (actor, op), outcome in seen.items():
        least = OPERATIONS[op][0]
        if ORDER.index(actor) >= ORDER.index(least):
            assert outcome == "ok", (actor, op, outcome)
        elif actor == "outsider" and op != "create project":
            assert outcome == "hidden", (actor, op, outcome)
        else:
            assert outcome == "denied", (actor, op, outcome)


def test_anonymous_viewer_editor_on_every_api(server_url: str, people: dict[str, str]) -> None:
    """Mutations as anonymous (401), viewer (403) and editor, through REST and the
    MLflow API."""
    calls = [
        ("PUT", "/api/v1/models/fraud/tags/team", {"value": "risk"}, "editor"),
        ("PUT", "/api/v1/models/fraud/aliases/production", {"version": 2}, "maintainer"),
        ("DELETE", "/api/v1/models/fraud/versions/2", None, "maintainer"),
        ("POST", "/api/2.0/mlflow/registered-models/set-tag",
         {"name": "fraud", "key": "a", "value": "b"}, "editor"),
        ("POST", "/api/2.0/mlflow/registered-models/alias",
         {"name": "fraud", "alias": "x", "version": "1"}, "maintainer"),
        ("PATCH", "/api/2.0/mlflow/registered-models/update",
         {"name": "fraud", "description": "d"}, "editor"),
    ]
    with httpx.Client(base_url=server_url) as h:
        for method, path, body, least in calls:
            resp = h.request(method, path, json=body, headers={"X-Modelyard-Client": "test"})
            assert resp.status_code == 401, (method, path)
            for actor in ("viewer", "editor"):
                resp = h.request(method, path, json=body, headers=_h(people[actor]))
                want = 200 if ORDER.index(actor) >= ORDER.index(least) else 403
                assert resp.status_code in ((200, 201) if want == 200 else (403,)), (
                    actor, method, path, resp.text)


def test_creator_becomes_maintainer_and_project_default_role(server_url: str,
                                                             people: dict[str, str]) -> None:
    with HttpClient(server_url, token=people["editor"]) as ed:
        ed.create_model("mine", project="risk")
        grants = ed.list_grants(model="mine")
        assert [(g.subject, g.role) for g in grants] == [("editor", "maintainer")]
    with HttpClient(server_url, token=people["root"]) as root:
        root.grant_role("*", "viewer", project="default")
    with HttpClient(server_url, token=people["outsider"]) as out:
        assert [m.name for m in out.search_models().items] == ["other"]
        with pytest.raises(PermissionDenied):
            out.set_model_tag("other", "k", "v")
