"""The outcome table: every mutating operation, as anonymous, viewer, editor and
maintainer (of project ``risk``, where the models are, and of ``default``, where the
experiments are), through REST, the MLflow API and the SDK over both transports.

Each actor and channel works on objects of its own (so one call's success cannot
change another's outcome).  The outcome must be: anonymous -> 401 (Unauthenticated),
an actor whose role is below the operation's least role -> 403 (PermissionDenied), an
actor at or above it -> success; never 404 (they all may read what they touch)."""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from modelyard.client.http import HttpClient
from modelyard.client.local import LocalClient
from modelyard.domain.entities import ANONYMOUS
from modelyard.errors import NotFound, PermissionDenied, Unauthenticated
from modelyard.services import Services

ACTORS = {"anonymous": 0, "viewer": 1, "editor": 2, "maintainer": 3}
LEAST = {"viewer": 1, "editor": 2, "maintainer": 3, "admin": 4}
CHANNELS = ("rest", "mlflow", "sdk-http", "sdk-local")
Ctx = dict[str, Any]
Wire = Callable[[Ctx], tuple[str, str, dict[str, Any]]]


@dataclass(frozen=True)
class Op:
    least: str
    sdk: Callable[[Any, Ctx], object]
    rest: Wire
    mlflow: Wire | None = None


V1, ML = "/api/v1", "/api/2.0/mlflow"
OPS: dict[str, Op] = {
    "update model": Op("editor", lambda c, x: c.update_model(x["m"], "d"),
                       lambda x: ("PATCH", f"{V1}/models/{x['m']}", {"description": "d"}),
                       lambda x: ("PATCH", f"{ML}/registered-models/update",
                                  {"name": x["m"], "description": "d"})),
    "set model tag": Op("editor", lambda c, x: c.set_model_tag(x["m"], "k", "v"),
                        lambda x: ("PUT", f"{V1}/models/{x['m']}/tags/k", {"value": "v"}),
                        lambda x: ("POST", f"{ML}/registered-models/set-tag",
                                   {"name": x["m"], "key": "k", "value": "v"})),
    "delete model tag": Op("editor", lambda c, x: c.delete_model_tag(x["m"], "k0"),
                           lambda x: ("DELETE", f"{V1}/models/{x['m']}/tags/k0", {}),
                           lambda x: ("DELETE", f"{ML}/registered-models/delete-tag",
                                      {"name": x["m"], "key": "k0"})),
    "register version": Op("editor", lambda c, x: c.register(x["m"], x["dir"]),
                           lambda x: ("POST", f"{V1}/models/{x['m']}/versions",
                                      {"files": x["files"]})),
    "update version": Op("editor", lambda c, x: c.update_version(x["m"], 1, "d"),
                         lambda x: ("PATCH", f"{V1}/models/{x['m']}/versions/1",
                                    {"description": "d"}),
                         lambda x: ("PATCH", f"{ML}/model-versions/update",
                                    {"name": x["m"], "version": "1", "description": "d"})),
    "set version tag": Op("editor", lambda c, x: c.set_version_tag(x["m"], 1, "k", "v"),
                          lambda x: ("PUT", f"{V1}/models/{x['m']}/versions/1/tags/k",
                                     {"value": "v"}),
                          lambda x: ("POST", f"{ML}/model-versions/set-tag",
                                     {"name": x["m"], "version": "1", "key": "k", "value": "v"})),
    "delete version tag": Op("editor", lambda c, x: c.delete_version_tag(x["m"], 1, "t0"),
                             lambda x: ("DELETE", f"{V1}/models/{x['m']}/versions/1/tags/t0",
                                        {}),
                             lambda x: ("DELETE", f"{ML}/model-versions/delete-tag",
                                        {"name": x["m"], "version": "1", "key": "t0"})),
    "set alias": Op("maintainer", lambda c, x: c.set_alias(x["m"], "prod", 1),
                    lambda x: ("PUT", f"{V1}/models/{x['m']}/aliases/prod", {"version": 1}),
                    lambda x: ("POST", f"{ML}/registered-models/alias",
                               {"name": x["m"], "alias": "prod", "version": "1"})),
    "delete alias": Op("maintainer", lambda c, x: c.delete_alias(x["m"], "champ"),
                       lambda x: ("DELETE", f"{V1}/models/{x['m']}/aliases/champ", {}),
                       lambda x: ("DELETE", f"{ML}/registered-models/alias",
                                  {"name": x["m"], "alias": "champ"})),
    "transition stage": Op("maintainer", lambda c, x: c.transition_stage(x["m"], 1, "Staging"),
                           lambda x: ("POST", f"{V1}/models/{x['m']}/versions/1/stage",
                                      {"stage": "Staging"}),
                           lambda x: ("POST", f"{ML}/model-versions/transition-stage",
                                      {"name": x["m"], "version": "1", "stage": "Staging",
                                       "archive_existing_versions": False})),
    "grant on model": Op("maintainer",
                         lambda c, x: c.grant_role("outsider", "viewer", model=x["m"]),
                         lambda x: ("POST", f"{V1}/grants", {"subject": "outsider",
                                                             "role": "viewer", "model": x["m"]}),
                         lambda x: ("POST", f"{ML}/registered-models/permissions/create",
                                    {"name": x["m"], "username": "outsider",
                                     "permission": "READ"})),
    "delete version": Op("maintainer", lambda c, x: c.delete_version(x["m"], 2),
                         lambda x: ("DELETE", f"{V1}/models/{x['m']}/versions/2", {}),
                         lambda x: ("DELETE", f"{ML}/model-versions/delete",
                                    {"name": x["m"], "version": "2"})),
    "rename model": Op("maintainer", lambda c, x: c.rename_model(x["r"], x["r"] + "-x"),
                       lambda x: ("POST", f"{V1}/models/{x['r']}/rename",
                                  {"new_name": x["r"] + "-x"}),
                       lambda x: ("POST", f"{ML}/registered-models/rename",
                                  {"name": x["r"], "new_name": x["r"] + "-x"})),
    "delete model": Op("maintainer", lambda c, x: c.delete_model(x["d"]),
                       lambda x: ("DELETE", f"{V1}/models/{x['d']}", {}),
                       lambda x: ("DELETE", f"{ML}/registered-models/delete", {"name": x["d"]})),
    "create model": Op("editor", lambda c, x: c.create_model("c-" + x["t"], project="risk"),
                       lambda x: ("POST", f"{V1}/models", {"name": "c-" + x["t"],
                                                           "project": "risk"}),
                       lambda x: ("POST", f"{ML}/registered-models/create",
                                  {"name": "c-" + x["t"]})),
    "create experiment": Op("editor", lambda c, x: c.create_experiment("ce-" + x["t"]),
                            lambda x: ("POST", f"{V1}/experiments", {"name": "ce-" + x["t"]}),
                            lambda x: ("POST", f"{ML}/experiments/create",
                                       {"name": "ce-" + x["t"]})),
    "set experiment tag": Op("editor", lambda c, x: c.set_experiment_tag(x["e"], "k", "v"),
                             lambda x: ("PUT", f"{V1}/experiments/{x['e']}/tags/k",
                                        {"value": "v"}),
                             lambda x: ("POST", f"{ML}/experiments/set-experiment-tag",
                                        {"experiment_id": x["e"], "key": "k", "value": "v"})),
    "rename experiment": Op("editor", lambda c, x: c.rename_experiment(x["e"], "re-" + x["t"]),
                            lambda x: ("POST", f"{V1}/experiments/{x['e']}/rename",
                                       {"new_name": "re-" + x["t"]}),
                            lambda x: ("POST", f"{ML}/experiments/update",
                                       {"experiment_id": x["e"], "new_name": "re-" + x["t"]})),
    "create run": Op("editor", lambda c, x: c.create_run(x["e"]),
                     lambda x: ("POST", f"{V1}/runs", {"experiment_id": x["e"]}),
                     lambda x: ("POST", f"{ML}/runs/create", {"experiment_id": x["e"]})),
    "log metric": Op("editor", lambda c, x: c.log_metric(x["run"], "auc", 0.9),
                     lambda x: ("POST", f"{V1}/runs/{x['run']}/metrics",
                                {"key": "auc", "value": 0.9}),
                     lambda x: ("POST", f"{ML}/runs/log-metric",
                                {"run_id": x["run"], "key": "auc", "value": 0.9,
                                 "timestamp": 1, "step": 0})),
    "log param": Op("editor", lambda c, x: c.log_param(x["run"], "lr", "0.1"),
                    lambda x: ("POST", f"{V1}/runs/{x['run']}/params",
                               {"key": "lr", "value": "0.1"}),
                    lambda x: ("POST", f"{ML}/runs/log-parameter",
                               {"run_id": x["run"], "key": "lr", "value": "0.1"})),
    "set run tag": Op("editor", lambda c, x: c.set_run_tag(x["run"], "k", "v"),
                      lambda x: ("PUT", f"{V1}/runs/{x['run']}/tags/k", {"value": "v"}),
                      lambda x: ("POST", f"{ML}/runs/set-tag",
                                 {"run_id": x["run"], "key": "k", "value": "v"})),
    "update run": Op("editor", lambda c, x: c.update_run(x["run"], status="FINISHED"),
                     lambda x: ("PATCH", f"{V1}/runs/{x['run']}", {"status": "FINISHED"}),
                     lambda x: ("POST", f"{ML}/runs/update",
                                {"run_id": x["run"], "status": "FINISHED"})),
    "delete run": Op("editor", lambda c, x: c.delete_run(x["run_del"]),
                     lambda x: ("DELETE", f"{V1}/runs/{x['run_del']}", {}),
                     lambda x: ("POST", f"{ML}/runs/delete", {"run_id": x["run_del"]})),
    "delete experiment": Op("maintainer", lambda c, x: c.delete_experiment(x["e_del"]),
                            lambda x: ("DELETE", f"{V1}/experiments/{x['e_del']}", {}),
                            lambda x: ("POST", f"{ML}/experiments/delete",
                                       {"experiment_id": x["e_del"]})),
    "create project": Op("admin", lambda c, x: c.create_project("p-" + x["t"]),
                         lambda x: ("POST", f"{V1}/projects", {"name": "p-" + x["t"]})),
    "create user": Op("admin", lambda c, x: c.create_user("u-" + x["t"]),
                      lambda x: ("POST", f"{V1}/users", {"name": "u-" + x["t"]}),
                      lambda x: ("POST", f"{ML}/users/create",
                                 {"username": "u-" + x["t"], "password": "a-password-1"})),
    "gc": Op("admin", lambda c, x: c.gc(dry_run=True),
             lambda x: ("POST", f"{V1}/admin/gc", {"dry_run": True})),
}


def _objects(root: HttpClient, t: str, model_dir: Path) -> Ctx:
    """What one actor's calls on one channel touch."""
    m, r, d = f"m-{t}", f"r-{t}", f"d-{t}"
    for name in (m, r, d):
        root.create_model(name, project="risk")
    root.register(m, model_dir)
    root.register(m, model_dir)
    root.set_model_tag(m, "k0", "v")
    root.set_version_tag(m, 1, "t0", "v")
    root.set_alias(m, "champ", 1)
    e = root.create_experiment(f"e-{t}").experiment_id
    files = [{"path": str(p.relative_to(model_dir)), "size": p.stat().st_size,
              "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
             for p in sorted(model_dir.rglob("*")) if p.is_file()]
    return {"t": t, "m": m, "r": r, "d": d, "e": e, "dir": model_dir, "files": files,
            "e_del": root.create_experiment(f"ed-{t}").experiment_id,
            "run": root.create_run(e).run_id, "run_del": root.create_run(e).run_id}


def _sdk_outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except Unauthenticated:
        return "401"
    except PermissionDenied:
        return "403"
    except NotFound:
        return "404"
    return "ok"


def _http_outcome(resp: httpx.Response) -> str:
    return "ok" if 200 <= resp.status_code < 300 else str(resp.status_code)


def _expected(actor: str, op: Op) -> str:
    if actor == "anonymous":
        return "401"
    return "ok" if ACTORS[actor] >= LEAST[op.least] else "403"


def test_outcome_table(server_url: str, admin_token: str, services: Services,
                       model_dir: Path) -> None:
    tokens: dict[str, str] = {}
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("risk")
        root.create_user("outsider")
        for actor in ACTORS:
            if actor == "anonymous":
                continue
            root.create_user(actor)
            tokens[actor] = root.create_token("t", user=actor).secret or ""
            root.grant_role(actor, actor, project="risk")
            root.grant_role(actor, actor, project="default")
        objects = {(a, ch): _objects(root, f"{a}-{ch}", model_dir)
                   for a in ACTORS for ch in CHANNELS}
    seen: dict[tuple[str, str, str], str] = {}
    with httpx.Client(base_url=server_url, timeout=60) as h:
        for actor in ACTORS:
            headers = {"content-type": "application/json", "X-Modelyard-Client": "test"}
            if actor in tokens:
                headers["Authorization"] = f"Bearer {tokens[actor]}"
            sdk_http = HttpClient(server_url, token=tokens.get(actor))
            sdk_local = (LocalClient("test", services=services, principal=ANONYMOUS)
                         if actor == "anonymous" else
                         LocalClient("test", services=services, token=tokens[actor]))
            for name, op in OPS.items():
                for channel in CHANNELS:
                    x = objects[(actor, channel)]
                    if channel in ("rest", "mlflow"):
                        wire = op.rest if channel == "rest" else op.mlflow
                        if wire is None:
                            continue
                        method, path, body = wire(x)
                        outcome = _http_outcome(h.request(method, path, json=body,
                                                          headers=headers))
                    else:
                        client = sdk_http if channel == "sdk-http" else sdk_local
                        outcome = _sdk_outcome(lambda: op.sdk(client, x))  # noqa: B023
                    seen[(name, channel, actor)] = outcome
            sdk_http.close()
    wrong = {k: v for k, v in seen.items() if v != _expected(k[2], OPS[k[0]])}
    assert not wrong, "\n".join(f"{op} via {ch} as {a}: got {got}, want "
                                f"{_expected(a, OPS[op])}" for (op, ch, a), got in wrong.items())
    # Every operation was tried on every channel it has, by every actor.
    assert len(seen) == sum(len(ACTORS) * (2 + (op.mlflow is not None)) + len(ACTORS)
                            for op in OPS.values())


def test_the_table_covers_every_mutating_sdk_operation() -> None:
    """A reminder that grows with the SDK: the mutating registry and tracking calls
    named here are all in the table."""
    named = {"update_model", "set_model_tag", "delete_model_tag", "register",
             "update_version", "set_version_tag", "delete_version_tag", "set_alias",
             "delete_alias", "transition_stage", "grant_role", "delete_version",
             "rename_model", "delete_model", "create_model", "create_experiment",
             "set_experiment_tag", "rename_experiment", "create_run", "log_metric",
             "log_param", "set_run_tag", "update_run", "delete_run", "delete_experiment",
             "create_project", "create_user", "gc"}
    sources = "\n".join(inspect.getsource(op.sdk) for op in OPS.values())
    missing = {n for n in named if f"c.{n}(" not in sources}
    assert not missing
