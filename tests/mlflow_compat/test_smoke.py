"""One MLflow flow on every metadata database (the rest of the suite runs on SQLite)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite", "postgresql", "mysql"], indirect=True),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]


def test_mlflow_flow_on_each_database(mlflow_url: str, mc: MlflowClient, tmp_path: Path) -> None:
    X, y = load_iris(return_X_y=True)
    clf = LogisticRegression(max_iter=300).fit(X, y)
    mlflow.set_experiment("smoke")
    with mlflow.start_run() as run:
        mlflow.log_params({"c": 1})
        mlflow.log_metrics({"acc": 0.9, "loss": 0.1}, step=1)
        (tmp_path / "a.txt").write_text("a")
        mlflow.log_artifact(str(tmp_path / "a.txt"))
        info = mlflow.sklearn.log_model(clf, name="model", registered_model_name="smoke",
                                        pip_requirements=["scikit-learn"])
    mc.set_registered_model_alias("smoke", "prod", "1")
    mc.transition_model_version_stage("smoke", "1", "Production")
    assert mc.get_model_version_by_alias("smoke", "prod").source == f"models:/{info.model_id}"
    assert [v.version for v in mc.get_latest_versions("smoke", ["Production"])] == ["1"]
    assert [r.info.run_id for r in mc.search_runs([run.info.experiment_id],
                                                  "metrics.acc > 0.5")] == [run.info.run_id]
    assert [m.name for m in mc.search_registered_models("name LIKE 'smo%'")] == ["smoke"]
    loaded = mlflow.pyfunc.load_model("models:/smoke@prod")
    assert list(loaded.predict(X[:3])) == list(clf.predict(X[:3]))
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/a.txt") == "a"
