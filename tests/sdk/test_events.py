"""Events name their entity's stable id, so a model's history follows it through
renames and never mixes with a new model that took its old name."""

from __future__ import annotations


def test_model_history_follows_renames(client, model_dir):
    client.register("fraud", model_dir)
    client.set_alias("fraud", "champion", 1)
    client.rename_model("fraud", "card-fraud")
    client.register("fraud", model_dir)

    old = client.list_events(model="card-fraud", max_results=100).items
    assert [(e.type, e.entity_id) for e in old] == [
        ("model.created", "fraud"), ("model_version.created", "fraud/1"),
        ("alias.moved", "fraud@champion"), ("model.renamed", "card-fraud")]
    assert len({e.model_id for e in old}) == 1 and old[0].model_id is not None
    assert old[0].entity_key == str(old[0].model_id)

    new = client.list_events(model="fraud", max_results=100).items
    assert [(e.type, e.entity_id) for e in new] == [
        ("model.created", "fraud"), ("model_version.created", "fraud/1")]
    assert new[0].model_id != old[0].model_id
    assert new[1].entity_key != old[1].entity_key  # two different versions named fraud/1

    # Naming by the old name still finds every event called so, as before.
    named = client.list_events(entity_type="model", entity_id="fraud").items
    assert [e.model_id for e in named] == [old[0].model_id, new[0].model_id]


def test_model_filter_of_an_unknown_model_is_not_found(client):
    import pytest

    from modelyard.errors import NotFound

    with pytest.raises(NotFound):
        client.list_events(model="nope")
