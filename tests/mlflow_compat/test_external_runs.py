"""References to runs this server does not hold, as MLflow accepts them (its registry
is often another server than its tracking one): a version registered from
``runs:/<id>/model`` of an unknown run, a run whose ``mlflow.parentRunId`` is unknown,
a logged model with an unknown source run.  The reference is stored and shown in
lineage as an external run; no file is resolved."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient

from modelyard.domain.entities import ANONYMOUS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ELSEWHERE = "e" * 32


def test_version_from_a_run_of_another_server(mc: MlflowClient, services) -> None:  # type: ignore[no-untyped-def]
    mc.create_registered_model("remote")
    mv = mc.create_model_version("remote", f"runs:/{ELSEWHERE}/model", run_id=ELSEWHERE)
    assert mv.run_id == ELSEWHERE and mv.source == f"runs:/{ELSEWHERE}/model"
    got = mc.get_model_version("remote", mv.version)
    assert got.run_id == ELSEWHERE
    graph = services.lineage.lineage(ANONYMOUS, "remote/1", "upstream")
    (run,) = [n for n in graph.nodes if n.type == "run"]
    assert run.data == {"run_id": ELSEWHERE, "external": True}


def test_unknown_parent_and_source_run(mlflow_url: str, mc: MlflowClient) -> None:
    exp = mc.create_experiment("children")
    child = mc.create_run(exp, tags={"mlflow.parentRunId": ELSEWHERE})
    assert mc.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == ELSEWHERE
    with mlflow.start_run(experiment_id=exp, tags={"mlflow.parentRunId": ELSEWHERE}) as run:
        mlflow.log_param("a", 1)
    assert mc.get_run(run.info.run_id).info.experiment_id == exp
    model = mc.create_logged_model(exp, source_run_id=ELSEWHERE, name="lm")
    assert mc.get_logged_model(model.model_id).source_run_id == ELSEWHERE


def test_a_held_run_still_gives_its_files(mlflow_url: str, mc: MlflowClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "MLmodel").write_text("flavors: {}\n")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "m"), "model")
    mc.create_registered_model("local")
    mv = mc.create_model_version("local", f"runs:/{run.info.run_id}/model", run.info.run_id)
    files = mc.list_artifacts(run.info.run_id, "model")
    assert [f.path for f in files] == ["model/MLmodel"] and mv.run_id == run.info.run_id
