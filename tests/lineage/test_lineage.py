"""Deployments and the lineage graph: SDK over both transports, the REST shapes, and
the CLI tree."""

from __future__ import annotations

import pytest

from modelyard import InvalidParameter, NotFound
from modelyard.cli.main import main


@pytest.fixture
def chain(client, tmp_path, model_dir):
    """dataset -> run -> fraud/1 (@production) -> fraud/2 (fine-tuned) -> deployments."""
    data = tmp_path / "train.csv"
    data.write_text("amount,label\n10.5,0\n99.0,1\n3.25,0\n")
    run = client.create_run("0", run_name="train", tags={"mlflow.source.git.commit": "abc123def456"})
    client.log_params(run.run_id, {"max_depth": 8})
    dv = client.log_dataset(data, "transactions", run_id=run.run_id)
    v1 = client.log_model_dir(run.run_id, model_dir, "fraud", artifact_path="model")
    client.set_alias("fraud", "production", v1.version)
    v2 = client.register("fraud", model_dir, parents=[{"model": "fraud", "version": 1,
                                                       "relation": "fine_tuned_from"}])
    d1 = client.record_deployment("fraud", 1, "http://serve-a:8080", "prod")
    d2 = client.record_deployment("fraud", 2, "http://serve-b:8080", "canary")
    return {"run": run, "dv": dv, "v1": v1, "v2": v2, "d1": d1, "d2": d2}


def test_deployments_record_list_end(client, model_dir):
    client.register("m", model_dir)
    client.register("m", model_dir)
    d = client.record_deployment("m", 1, "http://host:1/invocations", "prod")
    assert (d.model, d.version, d.endpoint, d.environment) == ("m", 1, "http://host:1/invocations", "prod")
    assert len(d.id) == 32 and d.started_at > 0 and d.ended_at is None
    client.record_deployment("m", 2, "http://host:2", "staging")
    assert {x.version for x in client.list_deployments("m")} == {1, 2}
    assert [x.id for x in client.list_deployments("m", 1)] == [d.id]
    ended = client.end_deployment(d.id)
    assert ended.ended_at is not None
    assert [x.version for x in client.list_deployments("m")] == [2]
    assert {x.version for x in client.list_deployments(active_only=False)} == {1, 2}
    with pytest.raises(InvalidParameter):
        client.end_deployment(d.id)
    with pytest.raises(NotFound):
        client.end_deployment("nope")
    with pytest.raises(NotFound):
        client.record_deployment("m", 9, "http://x")
    with pytest.raises(InvalidParameter):
        client.record_deployment("m", 1, "bad\nendpoint")


def test_lineage_upstream_and_downstream(client, chain):
    up = client.lineage("model-version:fraud@production", "upstream", 3)
    assert up.root == "model-version:fraud/1"
    ids = {n.id for n in up.nodes}
    assert ids == {"model-version:fraud/1", f"run:{chain['run'].run_id}",
                   "dataset-version:transactions/1"}
    edges = {(e.source, e.target, e.relation) for e in up.edges}
    assert (f"run:{chain['run'].run_id}", "model-version:fraud/1", "produced") in edges
    assert ("dataset-version:transactions/1", f"run:{chain['run'].run_id}", "training") in edges
    run_node = up.node(f"run:{chain['run'].run_id}")
    assert run_node.data["params"] == {"max_depth": "8"}
    assert run_node.data["tags"]["mlflow.source.git.commit"] == "abc123def456"
    assert up.node("dataset-version:transactions/1").data["rows"] == 3

    down = client.lineage("model-version:fraud/1", "downstream", 3)
    edges = {(e.source, e.target, e.relation) for e in down.edges}
    assert ("model-version:fraud/1", "model-version:fraud/2", "fine_tuned_from") in edges
    assert ("model-version:fraud/1", f"deployment:{chain['d1'].id}", "deployed_to") in edges
    assert ("model-version:fraud/2", f"deployment:{chain['d2'].id}", "deployed_to") in edges

    shallow = client.lineage("model-version:fraud/1", "upstream", 1)
    assert {n.type for n in shallow.nodes} == {"model-version", "run"}
    from_data = client.lineage("dataset-version:transactions/1", "downstream", 5)
    assert f"deployment:{chain['d2'].id}" in {n.id for n in from_data.nodes}
    both = client.lineage(f"run:{chain['run'].run_id}", "both", 2)
    assert {n.type for n in both.nodes} == {"run", "dataset-version", "model-version",
                                            "deployment"}
    with pytest.raises(InvalidParameter):
        client.lineage("model-version:fraud/1", "sideways")
    with pytest.raises(NotFound):
        client.lineage("run:" + "0" * 32)


def test_deleting_a_source_run_keeps_lineage(client, chain):
    client.delete_run(chain["run"].run_id)
    up = client.lineage("model-version:fraud/1", "upstream", 3)
    node = up.node(f"run:{chain['run'].run_id}")
    assert node.data["lifecycle_stage"] == "deleted"
    assert "dataset-version:transactions/1" in {n.id for n in up.nodes}


def test_rest_shapes(http, tmp_path, model_dir, services):
    from modelyard.client.local import LocalClient

    c = LocalClient("test", services=services)
    c.register("fraud", model_dir)
    r = http.post("/api/v1/deployments", json={"model": "fraud", "version": 1,
                                               "endpoint": "http://s:1", "environment": "prod"})
    assert r.status_code == 201
    dep = r.json()["deployment"]
    assert set(dep) >= {"id", "model", "version", "endpoint", "environment", "started_at",
                        "ended_at"}
    got = http.get("/api/v1/deployments", params={"model": "fraud", "version": 1}).json()
    assert [d["id"] for d in got["deployments"]] == [dep["id"]]
    g = http.get("/api/v1/lineage", params={"entity": "model-version:fraud/1",
                                            "direction": "downstream", "depth": 2}).json()
    assert g["root"] == "model-version:fraud/1"
    assert {n["type"] for n in g["nodes"]} == {"model-version", "deployment"}
    assert g["edges"] == [{"source": "model-version:fraud/1",
                           "target": f"deployment:{dep['id']}", "relation": "deployed_to"}]
    assert http.delete(f"/api/v1/deployments/{dep['id']}", headers={"X-Modelyard-Client": "test"}
                       ).json()["deployment"]["ended_at"]
    bad = http.get("/api/v1/lineage", params={"entity": "model-version:nope/1"})
    assert bad.status_code == 404 and bad.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    bad = http.post("/api/v1/deployments", content=b"model=fraud",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert bad.status_code == 400


def test_cli_lineage_tree(server_url, services, tmp_path, model_dir, capsys):
    from modelyard.client.local import LocalClient

    c = LocalClient("test", services=services)
    run = c.create_run("0", run_name="train-1", tags={"mlflow.source.git.commit": "0123456789abcdef"})
    c.log_params(run.run_id, {"max_depth": 8})
    data = tmp_path / "d.csv"
    data.write_text("x\n1\n")
    c.log_dataset(data, "transactions", run_id=run.run_id)
    c.log_model_dir(run.run_id, model_dir, "fraud-detection")
    c.set_alias("fraud-detection", "production", 1)
    c.register("fraud-detection", model_dir, parents=["fraud-detection/1"])
    c.record_deployment("fraud-detection", 2, "http://canary:8080", "staging")
    main(["--uri", server_url, "lineage", "fraud-detection@production"])
    out = capsys.readouterr().out
    for text in ("fraud-detection/1", "@production", "train-1", "commit 0123456789",
                 "max_depth=8", "transactions/1", "fraud-detection/2", "http://canary:8080",
                 "[staging]", "derived_from"):
        assert text in out, text
    main(["--uri", server_url, "--json", "lineage", "fraud-detection/1", "--direction",
          "upstream", "--depth", "1"])
    import json

    graph = json.loads(capsys.readouterr().out)
    assert {n["type"] for n in graph["nodes"]} == {"model-version", "run"}
