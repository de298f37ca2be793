"""A page of models, versions or runs is read with one statement for all the tags,
aliases, parents, params and latest metrics of its entities (store/*_repo.py), and a
search statement is remembered per filter (store/statement_memo.py): everything
still comes back, each kind in its order, on every backend and both transports, and a
remembered search still sees what changed since."""

from __future__ import annotations

import math


def test_versions_and_models_keep_their_tags_aliases_and_parents(client, model_dir):  # type: ignore[no-untyped-def]
    client.create_model("reads", tags={"b": "2", "a": "1"})
    v1 = client.register("reads", model_dir, tags={"z": "last", "k": "odd"})
    v2 = client.register("reads", model_dir, tags={"k": "even"},
                         parents=[{"model": "reads", "version": 1, "relation": "fine_tuned_from"}])
    client.register("other", model_dir)
    client.set_alias("reads", "prod", v1.version)
    client.set_alias("reads", "champion", v1.version)
    client.set_alias("reads", "next", v2.version)
    one = client.get_version("reads", 1)
    assert one.tags == {"k": "odd", "z": "last"} and list(one.tags) == ["k", "z"]
    assert one.aliases == ["champion", "prod"]
    assert one.parents == []
    two = client.get_version("reads", 2)
    assert two.aliases == ["next"]
    assert [(p.model, p.version, p.relation) for p in two.parents] == [
        ("reads", 1, "fine_tuned_from")]
    page = client.search_versions("name = 'reads'").items
    assert {v.version: v.aliases for v in page} == {1: ["champion", "prod"], 2: ["next"]}
    assert {v.version: v.tags for v in page} == {1: {"k": "odd", "z": "last"},
                                                 2: {"k": "even"}}
    model = client.get_model("reads")
    assert list(model.tags.items()) == [("a", "1"), ("b", "2")]
    assert model.aliases == {"champion": 1, "next": 2, "prod": 1}
    assert model.latest_version == 2
    models = {m.name: m for m in client.search_models("name LIKE '%'").items}
    assert models["reads"].aliases == model.aliases and models["other"].aliases == {}
    assert models["other"].latest_version == 1 and models["other"].tags == {}


def test_runs_keep_their_tags_params_and_metrics(client):  # type: ignore[no-untyped-def]
    exp = client.create_experiment("reads").experiment_id
    runs = [client.create_run(exp, run_name=f"r{i}", start_time=1000 + i) for i in range(3)]
    for i, run in enumerate(runs):
        client.log_batch(run.run_id, metrics=[
            {"key": "acc", "value": i / 10, "step": 0, "timestamp": 1},
            {"key": "loss", "value": [math.nan, math.inf, -1.5][i], "step": 0,
             "timestamp": 1}], params=[("lr", str(i)), ("depth", "3")],
            tags=[("team", "risk"), ("b", str(i))])
    found = client.search_runs([exp], "metrics.acc >= 0.1").items
    assert [r.run_name for r in found] == ["r2", "r1"]
    r1 = next(r for r in found if r.run_name == "r1")
    assert r1.params == {"depth": "3", "lr": "1"}
    assert r1.metrics["acc"] == 0.1 and math.isinf(r1.metrics["loss"])
    assert r1.tags["team"] == "risk" and r1.tags["b"] == "1"
    r0 = client.get_run(runs[0].run_id)
    assert math.isnan(r0.metrics["loss"]) and r0.metrics["acc"] == 0.0


def test_a_remembered_search_sees_new_rows_and_other_values(client, model_dir):  # type: ignore[no-untyped-def]
    for _ in range(2):
        assert client.search_versions("tags.k = 'x'").items == []
    client.register("memo", model_dir, tags={"k": "x"})
    for _ in range(2):
        assert [v.model for v in client.search_versions("tags.k = 'x'").items] == ["memo"]
        assert client.search_versions("tags.k = 'y'").items == []
    exp = client.create_experiment("memo").experiment_id
    run = client.create_run(exp)
    client.log_metric(run.run_id, "acc", 1.0)
    for _ in range(2):
        assert len(client.search_runs([exp], "metrics.acc > 0.5").items) == 1
        assert len(client.search_runs([exp], "metrics.acc > 1").items) == 0
        assert len(client.search_runs([exp], "metrics.acc >= 1.0").items) == 1
