"""The mlflow client under a project policy: custom stage names, a refused gate, and
``transition_model_version_stage`` on a transition that needs approvals gets an
error naming the request it opened; approving it moves the version."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from modelyard.client.http import HttpClient

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # stages are deprecated

POLICY = """\
stages: [dev, staging, production]
transitions:
  - {from: dev, to: staging, gates: "tags.review = 'passed'"}
  - from: staging
    to: production
    approvals: {count: 1, role: maintainer, allow_requester: true}
"""


def test_transition_stage_opens_a_request(mc: MlflowClient, mlflow_url: str) -> None:
    with HttpClient(mlflow_url) as c:
        c.create_project("risk")
        c.set_policy("risk", POLICY)
        c.create_model("fraud", project="risk")
    mc.create_model_version("fraud", "s3://b/1")
    assert mc.get_model_version("fraud", "1").current_stage == "dev"
    with pytest.raises(MlflowException) as gate:
        mc.transition_model_version_stage("fraud", "1", "Staging")
    assert gate.value.error_code == "INVALID_STATE" and "tags.review = 'passed'" in str(gate.value)
    mc.set_model_version_tag("fraud", "1", "review", "passed")
    assert mc.transition_model_version_stage("fraud", "1", "STAGING").current_stage == "staging"
    with pytest.raises(MlflowException) as opened:
        mc.transition_model_version_stage("fraud", "1", "production")
    assert opened.value.error_code == "INVALID_STATE"
    assert "request #1 opened: needs 1 approval from maintainer" in str(opened.value)
    with HttpClient(mlflow_url) as c:
        assert c.approve_request(1).status == "done"
    assert mc.get_model_version("fraud", "1").current_stage == "production"


def test_latest_versions_use_the_project_stages(mc: MlflowClient, mlflow_url: str) -> None:
    with HttpClient(mlflow_url) as c:
        c.create_project("risk")
        c.set_policy("risk", POLICY)
        c.create_model("fraud", project="risk")
    mc.create_model_version("fraud", "s3://b/1")
    assert [v.version for v in mc.get_latest_versions("fraud", stages=["DEV"])] == ["1"]
