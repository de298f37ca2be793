"""The unmodified clearml SDK: producer, consumer in a separate process, and what
they recorded as native modelyard records."""

from __future__ import annotations

from pathlib import Path

from modelyard.domain.entities import ANONYMOUS
from modelyard.services import Services
from tests.clearml.conftest import Runner, clearml_env, fresh_home


def test_producer_then_consumer(server_url: str, services: Services, run_script: Runner,
                                tmp_path: Path) -> None:
    produced = run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "p")),
                          "fraud-detection", "rf-training", "fraud_model")
    assert "/clearml/files/fraud-detection/rf-training." in produced["uri"]
    consumed = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "c")),
                          "fraud-detection", "production")
    assert consumed["ids"] == [produced["model"]]
    assert consumed["size"] and consumed["again"]
    assert sorted(consumed["tags"]) == ["production", "v1"]

    # Natively: the project is an experiment, the task a run with params and metrics,
    # the model a version whose source run is the task.
    who = ANONYMOUS
    exp = services.tracking.get_experiment_by_name(who, "fraud-detection")
    run = services.tracking.get_run(who, produced["task"])
    assert run.experiment_id == exp.experiment_id
    assert run.status == "FINISHED"
    assert run.params["General/n_estimators"] == "10"
    history = services.tracking.get_metric_history(who, run.run_id, "accuracy/train")
    assert [m.step for m in history] == [0, 1, 2]
    # The ClearML project is also the modelyard project that holds its models.
    assert services.registry.get_model(who, "fraud_model").project == "fraud-detection"
    assert "fraud-detection" in {p.name for p in services.registry.list_projects(who)}
    v = services.registry.get_version(who, "fraud_model", 1)
    assert v.run_id == run.run_id
    assert {"production", "v1"} <= set(v.tags)
