"""Approvals by real users, the last one performing the transition; concurrency on
every database (two approvals together perform it once, max_versions_in_stage holds
under concurrent promotions, alias history has no gap or overlap under concurrent
moves); alias history, at a time, rollback and swap."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from modelyard.client.local import LocalClient
from modelyard.domain.entities import ANONYMOUS
from modelyard.errors import (
    ApprovalRequired,
    Conflict,
    ModelyardError,
    NotFound,
    PermissionDenied,
)

POLICY = """\
stages: [dev, staging, production, retired]
transitions:
  - {from: dev, to: staging}
  - from: staging
    to: production
    approvals: {count: 2, role: maintainer}
    archive_previous: true
  - {from: [dev, staging], to: production}
max_versions_in_stage: {production: 2}
"""
APPROVALS = POLICY.replace("  - {from: [dev, staging], to: production}\n", "")
LIMIT = POLICY.replace("  - from: staging\n    to: production\n    approvals: {count: 2, role: "
                       "maintainer}\n    archive_previous: true\n", "")


def _people(services: Any, model_dir: Path, policy: str) -> dict[str, LocalClient]:
    access = services.access
    access.create_user(ANONYMOUS, "root", is_admin=True)
    root = LocalClient("t", services=services)
    root.create_project("risk")
    root.set_policy("risk", policy)
    root.create_model("fraud", project="risk")
    out = {"root": root}
    for name in ("alice", "bob", "carol", "eve"):
        user = root.create_user(name, with_token=True)
        role = "editor" if name == "eve" else "maintainer"
        root.grant_role(name, role, project="risk")
        out[name] = LocalClient("t", services=services, token=user.token)
    for _ in range(3):
        root.register("fraud", model_dir)
    return out


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except ModelyardError as exc:
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("rounds", [3])
def test_two_approvals_together_perform_the_transition_once(services, model_dir: Path,
                                                             rounds: int) -> None:  # type: ignore[no-untyped-def]
    p = _people(services, model_dir, APPROVALS)
    for v in range(1, rounds + 1):
        p["carol"].transition_stage("fraud", v, "staging")
        with pytest.raises(ApprovalRequired) as opened:
            p["carol"].transition_stage("fraud", v, "production")
        rid = opened.value.request_id
        assert rid is not None
        with pytest.raises(PermissionDenied, match="requester"):
            p["carol"].approve_request(rid)
        with pytest.raises(PermissionDenied, match="maintainer"):
            p["eve"].approve_request(rid)
        _together([lambda r=rid: p["alice"].approve_request(r, "ok"),
                   lambda r=rid: p["bob"].approve_request(r, "fine")])
        req = p["eve"].get_request(rid)  # any reader sees who approved
        assert req.status == "done" and sorted(req.approvers) == ["alice", "bob"]
        assert p["root"].get_version("fraud", v).stage == "production"
        changed = [e for e in p["root"].list_events(model="fraud", max_results=1000).items
                   if e.type == "stage.changed" and e.entity_id == f"fraud/{v}"
                   and (e.after or {}).get("stage") == "production"]
        assert len(changed) == 1 and changed[0].after["request_id"] == rid
    # archive_previous: only the last promoted one is in production
    stages = [p["root"].get_version("fraud", v).stage for v in range(1, rounds + 1)]
    assert stages == ["retired"] * (rounds - 1) + ["production"]


def test_reject_closes_the_request(services, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    p = _people(services, model_dir, APPROVALS)
    p["carol"].transition_stage("fraud", 1, "staging")
    with pytest.raises(ApprovalRequired) as opened:
        p["carol"].transition_stage("fraud", 1, "production")
    rid = opened.value.request_id
    assert rid is not None
    mallory = LocalClient("t", services=services,
                          token=p["root"].create_user("mallory", with_token=True).token)
    assert mallory.list_requests().items == []  # no role: the request does not exist
    with pytest.raises(NotFound):
        mallory.get_request(rid)
    with pytest.raises(NotFound):
        mallory.approve_request(rid)
    assert [r.id for r in p["eve"].list_requests(open_only=True).items] == [rid]
    p["alice"].reject_request(rid, "bias review missing")
    req = p["root"].get_request(rid)
    assert req.status == "rejected" and "bias review missing" in req.blocked
    with pytest.raises(Conflict, match="rejected"):
        p["bob"].approve_request(rid)


def test_max_versions_in_stage_holds_under_concurrent_promotions(services, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    p = _people(services, model_dir, LIMIT)
    results = _together([lambda v=v: p["alice"].transition_stage("fraud", v, "production")
                         for v in (1, 2, 3)])
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1 and "at most 2" in str(refused[0])
    stages = [p["root"].get_version("fraud", v).stage for v in (1, 2, 3)]
    assert stages.count("production") == 2


def test_alias_history_has_no_gap_or_overlap_under_concurrent_moves(services, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    p = _people(services, model_dir, POLICY)
    calls = [lambda v=v, who=who: p[who].set_alias("fraud", "champion", v)
             for who in ("alice", "bob") for v in (1, 2, 3)]
    results = _together(calls)
    assert not [r for r in results if isinstance(r, Exception)]
    moves = list(reversed(p["root"].alias_history("fraud", "champion").items))
    assert len(moves) == 6
    assert moves[-1].valid_to is None
    for a, b in zip(moves, moves[1:], strict=False):
        assert a.valid_to == b.valid_from  # no gap, no overlap
        assert a.valid_from <= a.valid_to
    assert p["root"].resolve("fraud@champion").version == moves[-1].version


def test_history_at_rollback_and_swap(client, model_dir: Path) -> None:  # type: ignore[no-untyped-def]
    client.create_model("fraud")
    for _ in range(3):
        client.register("fraud", model_dir)
    client.set_alias("fraud", "champion", 1)
    t1 = client.alias_history("fraud", "champion").items[0].valid_from
    client.set_alias("fraud", "champion", 2)
    client.set_alias("fraud", "challenger", 3)
    moves = client.alias_history("fraud", "champion").items
    assert [m.version for m in moves] == [2, 1] and moves[0].moved_by
    when = datetime.fromtimestamp(t1 / 1000, UTC)
    assert client.resolve("fraud@champion", at=when).version == 1
    assert client.resolve("fraud@champion", at=when.isoformat()).version == 1
    with pytest.raises(ModelyardError, match="no version then"):
        client.resolve("fraud@champion", at=t1 - 1)
    assert client.rollback_alias("fraud", "champion").version == 1
    assert client.alias_history("fraud", "champion").items[0].via == "rollback"
    client.swap_aliases("fraud", "champion", "challenger")
    assert client.resolve("fraud@champion").version == 3
    assert client.resolve("fraud@challenger").version == 1
    client.move_aliases("fraud", {"champion": 2, "challenger": None})
    assert client.get_model("fraud").aliases == {"champion": 2}
    with pytest.raises(ModelyardError):  # atomic: the bad second move undoes the first
        client.move_aliases("fraud", {"champion": 1, "shadow": 99})
    assert client.resolve("fraud@champion").version == 2
