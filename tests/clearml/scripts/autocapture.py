"""A script with the SDK's defaults (framework capture, resource monitoring, console
capture): the joblib.dump of a fitted model registers it with no registry call.
argv[3], when given, is how many seconds it keeps running (background reporting)."""

import json
import sys
import time

import joblib
from clearml import Task
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

project, task_name = sys.argv[1], sys.argv[2]
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 0
task = Task.init(project_name=project, task_name=task_name)
X, y = make_classification(n_samples=100, n_features=4, random_state=0)
clf = LogisticRegression().fit(X, y)
# With joblib 1.6 the SDK (2.1.12) sees the dumps that go through joblib's compressed
# writer; a plain dump is not captured, against any server.
joblib.dump(clf, "auto_model.joblib", compress=3)
for i in range(seconds):
    print(f"working {i}")
    task.get_logger().report_scalar("loss", "train", value=1.0 / (i + 1), iteration=i)
    time.sleep(1)
task_id = task.id
task.close()
print("RESULT " + json.dumps({"task": task_id}))
