"""A ClearML producer script, unchanged from what a ClearML user runs (argv only sets
names): train, register with tags, hyperparameters, scalars, close."""

import json
import sys

from clearml import OutputModel, Task
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
import joblib

project, task_name, model_name = sys.argv[1], sys.argv[2], sys.argv[3]
task = Task.init(project_name=project, task_name=task_name,
                 task_type=Task.TaskTypes.training, auto_connect_frameworks=False,
                 auto_resource_monitoring=False, auto_connect_streams=False)
params = task.connect({"n_estimators": 10, "max_depth": 4})
X, y = make_classification(n_samples=200, n_features=6, random_state=0)
clf = RandomForestClassifier(n_estimators=params["n_estimators"], max_depth=params["max_depth"],
                             random_state=0).fit(X, y)
logger = task.get_logger()
for i in range(3):
    logger.report_scalar("accuracy", "train", value=0.8 + i * 0.05, iteration=i)
joblib.dump(clf, "model.pkl")
# In CLEARML_OFFLINE_MODE (the benchmark's floor) the SDK's own OutputModel fails
# (its offline model has no "locked"), so the model steps only run online.
output_model, uri = None, None
if not Task.is_offline():
    output_model = OutputModel(task=task, name=model_name, tags=["candidate"],
                               comment="random forest", framework="ScikitLearn")
    uri = output_model.update_weights(weights_filename="model.pkl", auto_delete_file=False,
                                      async_enable=False)
    output_model.tags = ["production", "v1"]
result = {"task": task.id, "model": output_model and output_model.id, "uri": uri,
          "project": task.project, "page": task.get_output_log_web_page()}
task.close()
print("RESULT " + json.dumps(result))
sys.stdout.flush()
