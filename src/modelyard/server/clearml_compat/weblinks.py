"""The ClearML web links, answered by redirects into modelyard's own pages.

With ``CLEARML_WEB_HOST`` set to the server, the SDK prints a task's "results page" as
``<web host>/projects/<project id>/experiments/<task id>/output/log`` (``.../tasks/...``
from API 2.31 on; the project may be ``*``), and ClearML's web app names a model
``/projects/<project id>/models/<model id>/...``.  A task is a run, so its links go to
``/runs/<id>``; a model goes to the page of the version it became (``/models/<name>/
versions/<n>``), or, while it is a draft without weights, to its project's experiment
page; a project goes to its experiment page.  The target pages make their own access
decisions; a model is looked up as the caller, so one it may not read is a 404.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import Principal
from modelyard.domain.validation import is_ascii_int
from modelyard.errors import NotFound
from modelyard.server import deps
from modelyard.server.clearml_compat import modeldocs
from modelyard.services import Services

router = APIRouter(include_in_schema=False)
_TASK_ID = re.compile(r"[0-9a-f]{32}")
# The paths the SDK and ClearML's web app build (see the module docs).
TASK_LINKS = ("/projects/{project}/experiments/{task}", "/projects/{project}/tasks/{task}")
MODEL_LINK = "/projects/{project}/models/{model}"
PROJECT_LINKS = ("/projects/{project}", "/projects/{project}/experiments",
                 "/projects/{project}/tasks", "/projects/{project}/models")


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=302)


def task(project: str, task: str) -> RedirectResponse:
    if not _TASK_ID.fullmatch(task):
        raise NotFound(f"no task {task!r}")
    return _redirect(f"/runs/{task}")


def _model_page(svc: Services, who: Principal, model_id: str) -> str:
    doc = modeldocs.load(svc, who, model_id, "")
    if model_id.startswith("mv"):
        name, version = doc["name"], doc["id"].rpartition("x")[2]
    else:
        registered = doc.get("_version")
        if not isinstance(registered, dict):
            return f"/experiments/{quote(str(doc.get('project') or ''), safe='')}"
        name, version = registered.get("model"), registered.get("version")
    if not name or not is_ascii_int(str(version)) or len(str(version)) > 18:  # out of shape
        raise NotFound(f"model {model_id!r} has no registered version to show")
    return f"/models/{quote(str(name), safe='')}/versions/{int(str(version))}"


async def model(project: str, model: str, request: Request) -> RedirectResponse:
    svc, who = deps.services(request), deps.principal(request)
    return _redirect(await run_in_threadpool(_model_page, svc, who, model))


def project(project: str) -> RedirectResponse:
    return _redirect(f"/experiments/{project}" if is_ascii_int(project) else "/experiments")


for _path in TASK_LINKS:
    router.add_api_route(_path, task, methods=["GET"])
    router.add_api_route(_path + "/{rest:path}", task, methods=["GET"])
router.add_api_route(MODEL_LINK, model, methods=["GET"])
router.add_api_route(MODEL_LINK + "/{rest:path}", model, methods=["GET"])
for _path in PROJECT_LINKS:
    router.add_api_route(_path, project, methods=["GET"])

