"""The route permission table: every route of every adapter, with its rule.

Default deny: a request to a route with no rule here is refused (403), and
``tests/access/test_route_table.py`` fails for any route of the app without one, so a
new route cannot ship unguarded.  The rules are the first gate, before any handler:

- ``public``: no credential needed (health, version, API docs);
- ``read``: any authenticated principal;
- ``write``: an authenticated principal whose token may write (not a ``read`` token);
- ``admin``: a registry admin.

While no user is defined (the open mode) every non-public rule passes as the local
admin.  The fine-grained decision (which project or model, 404 for what is invisible)
is the domain's: :meth:`modelyard.domain.access.AccessService.require`.
"""

from __future__ import annotations

from typing import Literal

Rule = Literal["public", "read", "write", "admin"]
RULE_NAMES: tuple[Rule, ...] = ("public", "read", "write", "admin")

# METHOD  path  rule  (one line a route; MLflow's POST searches only read)
_TABLE = """
GET    /api/v1/openapi.json  public
POST   /api/v1/models  write
GET    /api/v1/models  read
GET    /api/v1/prompts  read
GET    /api/v1/models/{name}  read
PATCH  /api/v1/models/{name}  write
POST   /api/v1/models/{name}/rename  write
DELETE /api/v1/models/{name}  write
POST   /api/v1/models/{name}/restore  write
PUT    /api/v1/models/{name}/tags/{key:path}  write
DELETE /api/v1/models/{name}/tags/{key:path}  write
PUT    /api/v1/models/{name}/aliases/{alias}  write
GET    /api/v1/models/{name}/aliases/{alias}  read
DELETE /api/v1/models/{name}/aliases/{alias}  write
POST   /api/v1/models/{name}/versions  write
POST   /api/v1/models/{name}/versions/from-run  write
GET    /api/v1/models/{name}/versions  read
GET    /api/v1/versions  read
GET    /api/v1/models/{name}/versions/{version}  read
PATCH  /api/v1/models/{name}/versions/{version}  write
DELETE /api/v1/models/{name}/versions/{version}  write
POST   /api/v1/models/{name}/versions/{version}/restore  write
PUT    /api/v1/models/{name}/versions/{version}/tags/{key:path}  write
DELETE /api/v1/models/{name}/versions/{version}/tags/{key:path}  write
POST   /api/v1/models/{name}/versions/{version}/stage  write
GET    /api/v1/models/{name}/versions/{version}/files  read
GET    /api/v1/models/{name}/versions/{version}/files/{path:path}  read
POST   /api/v1/blobs/missing  write
PUT    /api/v1/blobs/sha256/{digest}  write
GET    /api/v1/blobs/sha256/{digest}  read
POST   /api/v1/blobs:batch-read  read
POST   /api/v1/blobs:locate  read
GET    /api/v1/uploads:config  read
POST   /api/v1/uploads  write
POST   /api/v1/uploads:batch  write
GET    /api/v1/uploads/{upload_id}  write
POST   /api/v1/uploads/{upload_id}/urls  write
PUT    /api/v1/uploads/{upload_id}/parts/{part}  public
POST   /api/v1/uploads/{upload_id}/complete  write
POST   /api/v1/uploads:complete-batch  write
DELETE /api/v1/uploads/{upload_id}  write
GET    /api/v1/events  read
GET    /api/v1/projects/{project}/policy  read
PUT    /api/v1/projects/{project}/policy  write
DELETE /api/v1/projects/{project}/policy  write
GET    /api/v1/requests  read
GET    /api/v1/requests/{request_id}  read
POST   /api/v1/requests/{request_id}:approve  write
POST   /api/v1/requests/{request_id}:reject  write
POST   /api/v1/requests/{request_id}:cancel  write
GET    /api/v1/models/{name}/aliases/{alias}/history  read
POST   /api/v1/models/{name}/aliases/{alias}/rollback  write
POST   /api/v1/models/{name}/aliases:batch  write
GET    /api/v1/projects  read
POST   /api/v1/projects  write
POST   /api/v1/admin/gc  admin
POST   /api/v1/webhooks  write
GET    /api/v1/webhooks  read
GET    /api/v1/webhooks/{webhook_id}  read
PATCH  /api/v1/webhooks/{webhook_id}  write
DELETE /api/v1/webhooks/{webhook_id}  write
POST   /api/v1/webhooks/{webhook_id}/test  write
GET    /api/v1/webhooks/{webhook_id}/deliveries  read
POST   /api/v1/admin/fsck  admin
POST   /api/v1/experiments  write
GET    /api/v1/experiments  read
GET    /api/v1/experiments/by-name/{name}  read
GET    /api/v1/experiments/{experiment_id}  read
POST   /api/v1/experiments/{experiment_id}/rename  write
DELETE /api/v1/experiments/{experiment_id}  write
POST   /api/v1/experiments/{experiment_id}/restore  write
PUT    /api/v1/experiments/{experiment_id}/tags/{key:path}  write
POST   /api/v1/runs  write
POST   /api/v1/runs/search  read
GET    /api/v1/runs/{run_id}  read
PATCH  /api/v1/runs/{run_id}  write
DELETE /api/v1/runs/{run_id}  write
POST   /api/v1/runs/{run_id}/restore  write
POST   /api/v1/runs/{run_id}/params  write
POST   /api/v1/runs/{run_id}/metrics  write
POST   /api/v1/runs/{run_id}/batch  write
PUT    /api/v1/runs/{run_id}/tags/{key:path}  write
DELETE /api/v1/runs/{run_id}/tags/{key:path}  write
GET    /api/v1/runs/{run_id}/metrics/{key:path}/history  read
POST   /api/v1/runs/{run_id}/inputs  write
POST   /api/v1/runs/{run_id}/artifacts  write
GET    /api/v1/runs/{run_id}/artifacts  read
GET    /api/v1/runs/{run_id}/artifact-files  read
GET    /api/v1/runs/{run_id}/artifacts/{path:path}  read
GET    /api/v1/datasets  read
GET    /api/v1/datasets/{name}  read
POST   /api/v1/datasets/{name}/versions  write
GET    /api/v1/datasets/{name}/versions  read
GET    /api/v1/datasets/{name}/versions/{version}  read
GET    /api/v1/datasets/{name}/versions/{version}/files/{path:path}  read
POST   /api/v1/deployments  write
DELETE /api/v1/deployments/{deployment_id}  write
GET    /api/v1/deployments  read
GET    /api/v1/deployments/{deployment_id}  read
POST   /api/v1/deployments/{deployment_id}/heartbeat  write
GET    /api/v1/ids/{kind}/{text}  read
GET    /api/v1/lineage  read
POST   /api/2.0/mlflow/registered-models/create  write
POST   /api/2.0/mlflow/webhooks  write
GET    /api/2.0/mlflow/webhooks  read
GET    /api/2.0/mlflow/webhooks/{webhook_id}  read
PATCH  /api/2.0/mlflow/webhooks/{webhook_id}  write
DELETE /api/2.0/mlflow/webhooks/{webhook_id}  write
POST   /api/2.0/mlflow/webhooks/{webhook_id}/test  write
GET    /api/2.0/mlflow/registered-models/get  read
POST   /api/2.0/mlflow/registered-models/rename  write
PATCH  /api/2.0/mlflow/registered-models/update  write
DELETE /api/2.0/mlflow/registered-models/delete  write
GET    /api/2.0/mlflow/registered-models/search  read
GET    /api/2.0/mlflow/registered-models/get-latest-versions  read
POST   /api/2.0/mlflow/registered-models/get-latest-versions  read
POST   /api/2.0/mlflow/registered-models/set-tag  write
DELETE /api/2.0/mlflow/registered-models/delete-tag  write
POST   /api/2.0/mlflow/registered-models/alias  write
GET    /api/2.0/mlflow/registered-models/alias  read
DELETE /api/2.0/mlflow/registered-models/alias  write
POST   /api/2.0/mlflow/model-versions/create  write
GET    /api/2.0/mlflow/model-versions/get  read
PATCH  /api/2.0/mlflow/model-versions/update  write
DELETE /api/2.0/mlflow/model-versions/delete  write
POST   /api/2.0/mlflow/model-versions/transition-stage  write
GET    /api/2.0/mlflow/model-versions/search  read
GET    /api/2.0/mlflow/model-versions/get-download-uri  read
POST   /api/2.0/mlflow/model-versions/set-tag  write
DELETE /api/2.0/mlflow/model-versions/delete-tag  write
POST   /api/2.0/mlflow/experiments/create  write
GET    /api/2.0/mlflow/experiments/get  read
GET    /api/2.0/mlflow/experiments/get-by-name  read
GET    /api/2.0/mlflow/experiments/search  read
POST   /api/2.0/mlflow/experiments/search  read
POST   /api/2.0/mlflow/experiments/update  write
POST   /api/2.0/mlflow/experiments/delete  write
POST   /api/2.0/mlflow/experiments/restore  write
POST   /api/2.0/mlflow/experiments/set-experiment-tag  write
POST   /api/2.0/mlflow/experiments/delete-experiment-tag  write
POST   /api/2.0/mlflow/runs/create  write
GET    /api/2.0/mlflow/runs/get  read
POST   /api/2.0/mlflow/runs/update  write
POST   /api/2.0/mlflow/runs/delete  write
POST   /api/2.0/mlflow/runs/restore  write
POST   /api/2.0/mlflow/runs/log-metric  write
POST   /api/2.0/mlflow/runs/log-parameter  write
POST   /api/2.0/mlflow/runs/set-tag  write
POST   /api/2.0/mlflow/runs/delete-tag  write
POST   /api/2.0/mlflow/runs/log-batch  write
POST   /api/2.0/mlflow/runs/log-inputs  write
POST   /api/2.0/mlflow/runs/log-model  write
POST   /api/2.0/mlflow/runs/outputs  write
GET    /api/2.0/mlflow/runs/search  read
POST   /api/2.0/mlflow/runs/search  read
GET    /api/2.0/mlflow/metrics/get-history  read
POST   /api/2.0/mlflow/logged-models  write
POST   /api/2.0/mlflow/logged-models/search  read
GET    /api/2.0/mlflow/logged-models/{model_id}  read
PATCH  /api/2.0/mlflow/logged-models/{model_id}  write
DELETE /api/2.0/mlflow/logged-models/{model_id}  write
PATCH  /api/2.0/mlflow/logged-models/{model_id}/tags  write
POST   /api/2.0/mlflow/logged-models/{model_id}/params  write
DELETE /api/2.0/mlflow/logged-models/{model_id}/tags/{key:path}  write
GET    /api/2.0/mlflow/logged-models/{model_id}/artifacts/directories  read
GET    /api/2.0/mlflow-artifacts/artifacts  read
PUT    /api/2.0/mlflow-artifacts/artifacts/{path:path}  write
POST   /api/2.0/mlflow-artifacts/mpu/create/{path:path}  write
POST   /api/2.0/mlflow-artifacts/mpu/complete/{path:path}  write
POST   /api/2.0/mlflow-artifacts/mpu/abort/{path:path}  write
GET    /api/2.0/mlflow-artifacts/artifacts/{path:path}  read
DELETE /api/2.0/mlflow-artifacts/artifacts/{path:path}  write
GET    /api/2.0/mlflow/artifacts/list  read
GET    /api/3.0/mlflow/server-info  read
DELETE /api/2.0/mlflow/{rest:path}  read
GET    /api/2.0/mlflow/{rest:path}  read
PATCH  /api/2.0/mlflow/{rest:path}  read
POST   /api/2.0/mlflow/{rest:path}  read
PUT    /api/2.0/mlflow/{rest:path}  read
DELETE /api/2.0/mlflow-artifacts/{rest:path}  read
GET    /api/2.0/mlflow-artifacts/{rest:path}  read
PATCH  /api/2.0/mlflow-artifacts/{rest:path}  read
POST   /api/2.0/mlflow-artifacts/{rest:path}  read
PUT    /api/2.0/mlflow-artifacts/{rest:path}  read
DELETE /api/3.0/mlflow/{rest:path}  read
GET    /api/3.0/mlflow/{rest:path}  read
PATCH  /api/3.0/mlflow/{rest:path}  read
POST   /api/3.0/mlflow/{rest:path}  read
PUT    /api/3.0/mlflow/{rest:path}  read
GET    /get-artifact  read
GET    /model-versions/get-artifact  read
GET    /api/2.0/mlflow/logged-models/{model_id}/artifacts/files  read
POST   /api/2.0/mlflow/upload-artifact  write
GET    /api/2.0/mlflow/metrics/get-history-bulk  read
GET    /api/2.0/mlflow/metrics/get-history-bulk-interval  read
POST   /api/2.0/mlflow/experiments/search-datasets  read
GET    /api/v1/docs  public
GET    /api/v1/docs/init.js  public
GET    /api/v1/docs/assets  public
GET    /health  public
GET    /ready  public
GET    /version  public
GET    /api/v1/version  public
GET    /auth/oidc/login  public
GET    /auth/oidc/callback  public
POST   /auth/login  public
POST   /auth/logout  public
GET    /api/v1/whoami  read
GET    /static/{name}  public
GET    /  read
GET    /models  read
GET    /models/{name}  read
POST   /models/{name}/aliases  write
GET    /models/{name}/versions/{version}  read
GET    /models/{name}/diff  read
GET    /experiments  read
GET    /experiments/{experiment_id}  read
GET    /runs/{run_id}  read
GET    /runs/{run_id}/preview/{path:path}  read
GET    /projects/{project}  read
GET    /projects/{project}/experiments  read
GET    /projects/{project}/tasks  read
GET    /projects/{project}/models  read
GET    /projects/{project}/experiments/{task}  read
GET    /projects/{project}/experiments/{task}/{rest:path}  read
GET    /projects/{project}/tasks/{task}  read
GET    /projects/{project}/tasks/{task}/{rest:path}  read
GET    /projects/{project}/models/{model}  read
GET    /projects/{project}/models/{model}/{rest:path}  read
GET    /compare  read
GET    /datasets  read
GET    /datasets/{name}  read
GET    /audit  read
GET    /admin/users  admin
POST   /admin/users/{name}/disabled  admin
GET    /admin/tokens  admin
GET    /webhooks  read
GET    /webhooks/{webhook_id}  read
POST   /webhooks/{webhook_id}/test  write
POST   /admin/tokens/{token_id}/revoke  admin
GET    /admin/roles  admin
GET    /login  public
POST   /login  public
POST   /logout  public
POST   /models/{name}/versions/{version}/stage  write
POST   /requests/{request_id}/{decision}  write
POST   /api/v1/users  admin
GET    /api/v1/users  admin
GET    /api/v1/users/{name}  read
PATCH  /api/v1/users/{name}  write
DELETE /api/v1/users/{name}  admin
POST   /api/v1/tokens  write
GET    /api/v1/tokens  read
DELETE /api/v1/tokens/{token_id}  write
GET    /api/v1/grants  read
POST   /api/v1/grants  write
DELETE /api/v1/grants  write
POST   /api/2.0/mlflow/users/create  admin
GET    /api/2.0/mlflow/users/get  read
PATCH  /api/2.0/mlflow/users/update-password  write
PATCH  /api/2.0/mlflow/users/update-admin  admin
DELETE /api/2.0/mlflow/users/delete  admin
POST   /api/2.0/mlflow/registered-models/permissions/create  write
GET    /api/2.0/mlflow/registered-models/permissions/get  read
PATCH  /api/2.0/mlflow/registered-models/permissions/update  write
DELETE /api/2.0/mlflow/registered-models/permissions/delete  write
GET    /dvc/{project}/files/md5/{prefix}/{rest}  read
POST   /dvc/{project}/files/md5/{prefix}/{rest}  write
PUT    /dvc/{project}/files/md5/{prefix}/{rest}  write
POST   /api/v1/projects/{project}/dvc-objects/search  read
POST   /api/2.0/mlflow/experiments/permissions/create  write
GET    /api/2.0/mlflow/experiments/permissions/get  read
PATCH  /api/2.0/mlflow/experiments/permissions/update  write
DELETE /api/2.0/mlflow/experiments/permissions/delete  write
POST   /api/3.0/mlflow/users/permissions/grant  write
POST   /api/3.0/mlflow/users/permissions/revoke  write
GET    /api/3.0/mlflow/users/permissions/get  read
"""


# The ClearML API (server/clearml_compat): each endpoint as GET and POST under
# /clearml/api/{version}/, with its rule.
_CLEARML = """
projects.get_all  read
projects.get_all_ex  read
projects.get_by_id  read
projects.create  write
tasks.get_by_id  read
tasks.get_all  read
tasks.get_all_ex  read
tasks.create  write
tasks.started  write
tasks.edit  write
tasks.completed  write
tasks.failed  write
tasks.stopped  write
tasks.close  write
tasks.set_requirements  write
tasks.add_or_update_model  write
tasks.reset  write
tasks.add_or_update_artifacts  write
tasks.ping  write
tasks.edit_hyper_params  write
tasks.edit_configuration  write
models.get_by_id  read
models.get_all  read
models.get_all_ex  read
models.create  write
models.edit  write
models.update  write
models.set_ready  write
models.add_or_update_metadata  write
models.delete  write
events.add_batch  write
"""


def _clearml(text: str) -> dict[tuple[str, str], Rule]:
    rules: dict[tuple[str, str], Rule] = {
        ("GET", "/clearml/api/auth.login"): "read",
        ("POST", "/clearml/api/auth.login"): "read",
        ("GET", "/clearml/api/{rest:path}"): "read",
        ("POST", "/clearml/api/{rest:path}"): "read",
        ("POST", "/clearml/files"): "write",
        ("POST", "/clearml/files/"): "write",
        ("GET", "/clearml/files/{path:path}"): "read",
        ("DELETE", "/clearml/files/{path:path}"): "write",
    }
    for line in text.strip().splitlines():
        name, rule = line.split()
        assert rule in RULE_NAMES, line
        for method in ("GET", "POST"):
            rules[(method, "/clearml/api/{version}/" + name)] = rule
    return rules


def _parse(text: str) -> dict[tuple[str, str], Rule]:
    rules: dict[tuple[str, str], Rule] = {}
    for line in text.strip().splitlines():
        method, path, rule = line.split()
        assert rule in RULE_NAMES, line
        rules[(method, path)] = rule
    return rules


RULES: dict[tuple[str, str], Rule] = {**_parse(_TABLE), **_clearml(_CLEARML)}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (HEAD is GET's; a route under MLflow's ``/ajax-api/`` has
    the rule of the same route under ``/api/``); None: no rule, so refused."""
    if path.startswith("/ajax-api/"):
        path = "/api/" + path[len("/ajax-api/"):]
    return RULES.get(("GET" if method == "HEAD" else method, path))
