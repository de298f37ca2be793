"""MLflow models end to end: sklearn/pyfunc log_model (MLflow 3 logged models),
register_model, load by version, alias, stage and latest; and the same model through
modelyard's own CLI download and loader."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from modelyard.cli.main import cli
from modelyard.domain.entities import ANONYMOUS

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

# Given explicitly: inferring them runs a subprocess that takes seconds.
REQS = ["scikit-learn"]


@pytest.fixture(scope="module")
def iris():  # type: ignore[no-untyped-def]
    X, y = load_iris(return_X_y=True)
    return X, y, LogisticRegression(max_iter=300).fit(X, y)


def test_sklearn_log_register_and_load(mlflow_url: str, mc: MlflowClient, iris, services,
                                       tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    X, y, clf = iris
    mlflow.set_experiment("iris")
    with mlflow.start_run() as run:
        mlflow.log_metric("acc", float(clf.score(X, y)))
        info = mlflow.sklearn.log_model(clf, name="model", input_example=X[:3],
                                        registered_model_name="iris", pip_requirements=REQS)
    assert info.model_id.startswith("m-") and str(info.registered_model_version) == "1"
    # log_model copied the run's metrics onto the logged model (history + log-batch):
    # the run's own history is unchanged.
    assert len(mc.get_metric_history(run.info.run_id, "acc")) == 1
    lm = mc.get_logged_model(info.model_id)
    assert str(lm.status).endswith("READY") and lm.name == "model"
    assert lm.source_run_id == run.info.run_id

    v2 = mlflow.register_model(f"runs:/{run.info.run_id}/model", "iris")
    assert v2.version == "2" and v2.run_id == run.info.run_id
    mc.set_registered_model_alias("iris", "production", "2")
    mc.transition_model_version_stage("iris", "1", "Staging")

    expected = clf.predict(X[:5])
    for uri in ("models:/iris/1", "models:/iris@production", "models:/iris/Staging",
                "models:/iris/latest", f"models:/{info.model_id}", f"runs:/{run.info.run_id}/model"):
        loaded = mlflow.pyfunc.load_model(uri)
        assert list(loaded.predict(X[:5])) == list(expected), uri
    assert list(mlflow.sklearn.load_model("models:/iris/2").predict(X[:5])) == list(expected)

    # The registered version is a modelyard version: same blobs as the logged model.
    version = services.registry.get_version(ANONYMOUS, "iris", 1, with_files=True)
    logged = services.logged_models.files(ANONYMOUS, info.model_id)
    assert {(f.path, f.sha256) for f in version.files} == {(f.path, f.sha256) for f in logged}
    assert "MLmodel" in {f.path for f in version.files}
    assert version.run_id == run.info.run_id
    # Its flavor is read from the MLmodel file, as for a version saved by modelyard.
    assert version.flavor == "sklearn"
    assert services.registry.get_version(ANONYMOUS, "iris", 2).flavor == "sklearn"

    out = tmp_path / "dl"
    result = CliRunner().invoke(cli, ["--uri", mlflow_url, "versions", "download",
                                      "iris@production", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "MLmodel").is_file() and (out / "model.skops").is_file()
    import modelyard

    model = modelyard.load_model(str(out), trust=True)
    assert list(np.asarray(model.predict(X[:5]))) == list(expected)


class AddN(mlflow.pyfunc.PythonModel):
    def __init__(self, n: int) -> None:
        self.n = n

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        return model_input + self.n


def test_pyfunc_log_model_and_mlflow2_style_run_artifacts(mlflow_url: str,
                                                          mc: MlflowClient, tmp_path: Path,
                                                          iris, services) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="adder", python_model=AddN(3),
                                       registered_model_name="adder", pip_requirements=REQS)
    loaded = mlflow.pyfunc.load_model("models:/adder/1")
    assert list(loaded.predict(pd.DataFrame({"x": [1, 2]}))["x"]) == [4, 5]
    assert mc.get_model_version("adder", "1").source == f"models:/{info.model_id}"
    assert services.registry.get_version(ANONYMOUS, "adder", 1).flavor == "python"

    # MLflow 2 saved models as run artifacts; registering that folder works too.
    X, _, clf = iris
    mlflow.sklearn.save_model(clf, str(tmp_path / "saved"), pip_requirements=REQS)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(tmp_path / "saved"), "model")
    v = mlflow.register_model(f"runs:/{run.info.run_id}/model", "from-artifacts")
    assert v.source == f"mlflow-artifacts:/{run.info.experiment_id}/{run.info.run_id}/artifacts/model"
    assert services.registry.get_version(ANONYMOUS, "from-artifacts", 1).flavor == "sklearn"
    # A source stored elsewhere has no files here, so no flavor either.
    mc.create_registered_model("elsewhere")
    assert mc.create_model_version("elsewhere", "s3://bucket/model").version == "1"
    assert services.registry.get_version(ANONYMOUS, "elsewhere", 1).flavor is None
    got = mlflow.sklearn.load_model("models:/from-artifacts/1")
    assert list(got.predict(X[:3])) == list(clf.predict(X[:3]))


def test_logged_model_client_api(mlflow_url: str, mc: MlflowClient, tmp_path: Path) -> None:
    import httpx

    exp = mc.create_experiment("lm-api")
    run = mc.create_run(exp)
    lm = mc.create_logged_model(exp, name="handmade", source_run_id=run.info.run_id,
                                tags={"a": "1", "b": "2"}, params={"lr": "0.1"},
                                model_type="toy")
    assert lm.model_id.startswith("m-") and lm.params == {"lr": "0.1"}
    assert lm.artifact_location == f"mlflow-artifacts:/{exp}/models/{lm.model_id}/artifacts"
    src = tmp_path / "lm"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "w.bin").write_bytes(b"w" * 10)
    (src / "MLmodel").write_text("flavors: {}\n")
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    get_artifact_repository(lm.artifact_location).log_artifacts(str(src))
    listed = mc.list_logged_model_artifacts(lm.model_id)
    assert sorted((f.path, f.is_dir) for f in listed) == [("MLmodel", False), ("sub", True)]
    mc.finalize_logged_model(lm.model_id, "READY")
    mc.set_logged_model_tags(lm.model_id, {"c": "3"})
    mc.delete_logged_model_tag(lm.model_id, "a")
    assert mc.get_logged_model(lm.model_id).tags == {"b": "2", "c": "3"}
    found = mc.search_logged_models([exp], filter_string="name = 'handmade'",
                                    order_by=[{"field_name": "creation_timestamp",
                                               "ascending": False}])
    assert [m.model_id for m in found] == [lm.model_id]
    # The tracking API's own artifact listing (clients that do not use the proxy).
    with httpx.Client(base_url=mlflow_url) as h:
        mlflow.MlflowClient(mlflow_url).log_text(run.info.run_id, "x", "dir/t.txt")
        body = h.get("/api/2.0/mlflow/artifacts/list",
                     params={"run_id": run.info.run_id, "path": "dir"}).json()
        assert body["files"] == [{"path": "dir/t.txt", "is_dir": False, "file_size": 1}]
    mc.delete_logged_model(lm.model_id)
    with pytest.raises(mlflow.exceptions.MlflowException) as exc:
        mc.get_logged_model(lm.model_id)
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
