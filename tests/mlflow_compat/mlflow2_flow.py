"""MLflow-2-style client code, run by test_mlflow2.py in a venv with mlflow==2.19.0.

Usage: python mlflow2_flow.py <tracking uri> <work dir>.  Prints OK at the end; any
failure raises."""

import os
import sys
import warnings

warnings.simplefilter("ignore")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

assert mlflow.__version__ == "2.19.0", mlflow.__version__
uri, work = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
c = MlflowClient()

X, y = load_iris(return_X_y=True)
clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
exp = mlflow.set_experiment("mlflow2")
with mlflow.start_run(run_name="train") as run:
    mlflow.log_params({"depth": 3, "criterion": "gini"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metric("acc", float(clf.score(X, y)))
    mlflow.set_tags({"team": "risk"})
    path = os.path.join(work, "notes.txt")
    with open(path, "w") as fh:
        fh.write("two")
    mlflow.log_artifact(path, "docs")
    mlflow.log_dict({"a": 1}, "conf.json")
    with mlflow.start_run(run_name="child", nested=True):
        mlflow.log_metric("acc", 0.5)
    mlflow.sklearn.log_model(clf, "model", registered_model_name="iris2",
                             pip_requirements=["scikit-learn"])
rid = run.info.run_id

got = c.get_run(rid)
assert got.info.status == "FINISHED" and got.data.params["depth"] == "3"
assert "mlflow.log-model.history" in got.data.tags
assert [m.step for m in c.get_metric_history(rid, "loss")] == [0, 1, 2, 3, 4]
assert {f.path for f in c.list_artifacts(rid)} >= {"docs", "conf.json", "model"}
assert mlflow.artifacts.load_dict(f"runs:/{rid}/conf.json") == {"a": 1}
found = mlflow.search_runs([exp.experiment_id], "metrics.acc > 0.9", output_format="list")
assert [r.info.run_id for r in found] == [rid]

v2 = mlflow.register_model(f"runs:/{rid}/model", "iris2")
assert v2.version == "2" and v2.run_id == rid
c.transition_model_version_stage("iris2", "1", "Staging")
c.transition_model_version_stage("iris2", "2", "Production")
c.transition_model_version_stage("iris2", "1", "Production", archive_existing_versions=True)
assert c.get_model_version("iris2", "2").current_stage == "Archived"
assert [v.version for v in c.get_latest_versions("iris2", stages=["Production"])] == ["1"]
assert {v.current_stage for v in c.get_latest_versions("iris2")} == {"Production", "Archived"}
c.set_registered_model_alias("iris2", "champion", "2")
assert c.get_model_version_by_alias("iris2", "champion").version == "2"
c.update_registered_model("iris2", description="MLflow 2 code")
c.set_model_version_tag("iris2", "1", "validated", "yes")
assert [m.name for m in c.search_registered_models("name LIKE 'iris%'")] == ["iris2"]
assert [v.version for v in c.search_model_versions("tags.validated = 'yes'")] == ["1"]

expected = list(clf.predict(X[:5]))
for model_uri in ("models:/iris2/Production", "models:/iris2/1", "models:/iris2@champion",
                  "models:/iris2/latest"):
    assert list(mlflow.pyfunc.load_model(model_uri).predict(X[:5])) == expected, model_uri
assert list(mlflow.sklearn.load_model("models:/iris2/2").predict(X[:5])) == expected

try:
    c.get_registered_model("missing")
except MlflowException as exc:
    assert exc.error_code == "RESOURCE_DOES_NOT_EXIST", exc.error_code
else:
    raise AssertionError("expected RESOURCE_DOES_NOT_EXIST")
c.delete_model_version("iris2", "2")
c.delete_registered_model("iris2")
print("OK")
