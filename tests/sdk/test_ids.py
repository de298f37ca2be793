"""Run and deployment ids by unique prefix, and one deployment by id, over both
transports."""

from __future__ import annotations

import pytest

from modelyard.errors import InvalidParameter, NotFound


def test_resolve_id_and_get_deployment(client, model_dir):
    client.register("ids", model_dir)
    run = client.create_run("0")
    assert client.resolve_id("run", run.run_id[:5]) == run.run_id
    assert client.resolve_id("run", run.run_id) == run.run_id
    dep = client.record_deployment("ids", 1, "http://x:1")
    assert client.resolve_id("deployment", dep.id[:4].upper()) == dep.id
    assert client.get_deployment(dep.id) == dep
    with pytest.raises(NotFound):
        client.resolve_id("deployment", "fff")  # shorter than a prefix may be
    with pytest.raises(NotFound):
        client.get_deployment("0" * 32)
    with pytest.raises(InvalidParameter):
        client.resolve_id("model", "abcd")
    graph = client.lineage(f"deployment:{dep.id[:6]}", "upstream", 1)
    assert graph.root.startswith("deployment")
