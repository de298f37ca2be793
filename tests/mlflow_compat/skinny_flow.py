"""MLflow 3 client code, run by test_mlflow_clients.py in a venv with only mlflow-skinny
(the client without the server and flavor dependencies): tracking, artifacts, registry.

Usage: python skinny_flow.py <tracking uri> <work dir>.  Prints OK at the end."""

import importlib.util
import os
import sys
import warnings

warnings.simplefilter("ignore")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

assert importlib.util.find_spec("flask") is None, "expected mlflow-skinny alone"
uri, work = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
c = MlflowClient()

exp = mlflow.set_experiment("skinny")
with mlflow.start_run() as run:
    mlflow.log_params({"a": 1})
    for step in range(3):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    path = os.path.join(work, "notes.txt")
    with open(path, "w") as fh:
        fh.write("skinny")
    mlflow.log_artifact(path)
rid = run.info.run_id
assert c.get_run(rid).data.params == {"a": "1"}
assert [m.step for m in c.get_metric_history(rid, "loss")] == [0, 1, 2]
assert mlflow.artifacts.load_text(f"runs:/{rid}/notes.txt") == "skinny"

c.create_registered_model("skinny-model")
v = c.create_model_version("skinny-model", f"runs:/{rid}/notes.txt", run_id=rid)
c.set_registered_model_alias("skinny-model", "champion", v.version)
assert c.get_model_version_by_alias("skinny-model", "champion").version == "1"
assert [m.name for m in c.search_registered_models("name = 'skinny-model'")] == ["skinny-model"]
try:
    c.create_registered_model("skinny-model")
except MlflowException as exc:
    assert exc.error_code == "RESOURCE_ALREADY_EXISTS", exc.error_code
else:
    raise AssertionError("expected RESOURCE_ALREADY_EXISTS")
print("OK")
