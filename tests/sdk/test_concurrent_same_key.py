"""Many writers on one target with the same new key at once, on every database: each
write succeeds (or is refused for a reason the caller can act on) and none is lost.
First writes of a key are where InnoDB's duplicate-key locks dead-locked before."""

from __future__ import annotations

from modelyard.client.local import LocalClient
from tests.concurrently import at_once

N = 8


def test_tags_and_aliases_on_one_model(services, model_dir) -> None:
    c = LocalClient("test", services=services)
    for _ in range(3):
        c.register("m", model_dir)
    at_once(N, lambda i: c.set_model_tag("m", "owner", f"t{i}"))
    at_once(N, lambda i: c.set_version_tag("m", 1, "stage", f"s{i}"))
    at_once(N, lambda i: c.set_alias("m", "champion", 1 + i % 3))
    at_once(N, lambda i: c.set_alias("m", f"a{i}", 1 + i % 3))
    m = c.get_model("m")
    assert m.tags["owner"] in {f"t{i}" for i in range(N)}
    assert m.aliases["champion"] in (1, 2, 3)
    assert {k for k in m.aliases if k.startswith("a")} == {f"a{i}" for i in range(N)}
    assert c.get_version("m", 1).tags["stage"] in {f"s{i}" for i in range(N)}


def test_tags_params_and_inputs_of_runs(services) -> None:
    c = LocalClient("test", services=services)
    exp = c.create_experiment("shared").experiment_id
    run = c.create_run(exp).run_id
    at_once(N, lambda i: c.set_experiment_tag(exp, "team", f"t{i}"))
    at_once(N, lambda i: c.set_run_tag(run, "note", f"n{i}"))
    at_once(N, lambda i: c.log_param(run, "lr", "0.1"))
    runs = at_once(N, lambda i: c.create_run(exp).run_id)
    digest = "ab" * 16
    at_once(N, lambda i: c.log_inputs(runs[i], [{"dataset": {
        "name": "train", "digest": digest, "source": "s3://b/train.csv",
        "source_type": "s3"}, "context": "training"}]))
    assert c.get_run(run).params == {"lr": "0.1"}
    assert c.get_experiment(exp).tags["team"] in {f"t{i}" for i in range(N)}
    assert [v.version for v in c.list_dataset_versions("train")] == [1]


def test_tokens_and_grants_for_one_user(services) -> None:
    from modelyard.domain.entities import ANONYMOUS

    root = services.access.create_user(ANONYMOUS, "root", is_admin=True).token
    c = LocalClient("test", services=services, token=root)
    c.create_user("ada")
    tokens = at_once(N, lambda i: c.create_token(f"ci-{i}", user="ada"))
    assert len({t.secret for t in tokens}) == N
    c.create_project("vision")
    at_once(N, lambda i: c.grant_role("ada", "editor", project="vision"))
    assert len([g for g in c.list_grants() if g.subject == "ada"]) == 1


def test_one_user_name_and_one_policy_at_once(services) -> None:
    from modelyard.domain.entities import ANONYMOUS
    from modelyard.errors import AlreadyExists

    root = services.access.create_user(ANONYMOUS, "root", is_admin=True).token
    c = LocalClient("test", services=services, token=root)

    def create(i: int) -> str:
        try:
            return c.create_user("grace").name
        except AlreadyExists:
            return "taken"

    assert sorted(at_once(N, create)) == ["grace"] + ["taken"] * (N - 1)
    c.create_project("vision")
    at_once(N, lambda i: c.set_policy(
        "vision", f"stages: [dev, prod{i}]\ntransitions:\n  - {{from: dev, to: prod{i}}}\n"))
    assert c.get_policy("vision").source.startswith("stages: [dev, prod")
