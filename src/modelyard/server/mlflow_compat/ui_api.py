"""The MLflow endpoints outside the REST service definition, which MLflow's web UI and
some tools call: file downloads by run or version (``/get-artifact``,
``/model-versions/get-artifact``, a logged model's ``artifacts/files``), the small
upload of the UI (``upload-artifact``), metric histories of many runs at once
(``metrics/get-history-bulk`` and its step-sampled ``-interval`` form) and the
datasets of experiments (``experiments/search-datasets``).  Shapes, limits and
messages are MLflow's; everything goes through the same domain services and
permission rules as the rest of the adapter.
"""

from __future__ import annotations

import posixpath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modelyard.domain.entities import FileEntry, Principal
from modelyard.domain.sources import ArtifactSource
from modelyard.domain.validation import check_relpath, is_ascii_int
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat import tracking_json as tj
from modelyard.server.mlflow_compat import page_size
from modelyard.server.mlflow_compat.page_size import MAX_RESULTS_PER_RUN
from modelyard.server.mlflow_compat.common import (
    Args,
    MlflowRoute,
    Svc,
    Who,
    get_int,
    get_list,
    get_str,
    missing,
    need_str,
)
from modelyard.server.streaming import receive_blob, verified_blob_response
from modelyard.services import Services

router = APIRouter(include_in_schema=False, route_class=MlflowRoute)

MAX_HISTORY_RESULTS = 25_000  # get-history-bulk, as MLflow's
MAX_RUN_IDS = 100
MAX_INTERVAL_RUNS = 100
MAX_EXPERIMENT_IDS = 20  # search-datasets
MAX_UI_UPLOAD = 10 * 1024 * 1024  # upload-artifact


def _safe(path: str) -> str:
    try:  # refused, never cleaned up: "/etc/passwd" is not "etc/passwd"
        return check_relpath(path)
    except InvalidParameter:
        raise InvalidParameter(f"Invalid path: {path}") from None


def _send(s: Services, who: Principal, src: ArtifactSource, request: Request) -> Response:
    entry = s.sources.entry(who, src)
    return verified_blob_response(s.blob_service.acting(who), entry.sha256, request,
                                  filename=posixpath.basename(entry.path))


@router.get("/get-artifact")
def get_artifact(request: Request, args: dict[str, Any] = Args, s: Services = Svc,
                 who: Principal = Who) -> Response:
    run_id = get_str(args, "run_id") or need_str(args, "run_uuid")
    return _send(s, who, ArtifactSource("run", run_id, _safe(need_str(args, "path"))), request)


@router.get("/model-versions/get-artifact")
def get_model_version_artifact(request: Request, args: dict[str, Any] = Args,
                               s: Services = Svc, who: Principal = Who) -> Response:
    version = get_int(args, "version")
    if version is None:
        raise InvalidParameter(missing("version"))
    src = ArtifactSource("version", need_str(args, "name"), _safe(need_str(args, "path")),
                         version)
    return _send(s, who, src, request)


@router.get("/api/2.0/mlflow/logged-models/{model_id}/artifacts/files")
def get_logged_model_artifact(model_id: str, request: Request, args: dict[str, Any] = Args,
                              s: Services = Svc, who: Principal = Who) -> Response:
    path = get_str(args, "artifact_file_path")
    if not path:
        raise InvalidParameter('Request must include the "artifact_file_path" query parameter.')
    return _send(s, who, ArtifactSource("logged_model", model_id, _safe(path)), request)


@router.post("/api/2.0/mlflow/upload-artifact")
async def upload_artifact(request: Request, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    args = dict(request.query_params)  # the body is the file's bytes
    run_id = get_str(args, "run_uuid")
    if not run_id:
        raise InvalidParameter("Request must specify run_uuid.")
    raw = get_str(args, "path")
    if not raw:
        raise InvalidParameter("Request must specify path.")
    path = _safe(raw)
    declared = request.headers.get("content-length")
    if declared and is_ascii_int(declared) and int(declared) > MAX_UI_UPLOAD:
        raise InvalidParameter("Artifact size is too large. Max size is 10MB.")
    await run_in_threadpool(s.tracking.get_run, who, run_id)  # 404 before any byte
    sha256, size = await receive_blob(s.blob_service.acting(who), None, request, MAX_UI_UPLOAD)
    if size == 0:
        raise InvalidParameter("Request must specify data.")
    await run_in_threadpool(s.tracking.add_run_artifacts, who, run_id,
                            [FileEntry(path, size, sha256)])
    return {}


def _history(s: Services, who: Principal, run_id: str, key: str) -> list[Any]:
    points: list[Any] = []
    token: str | None = None
    while True:
        page = s.tracking.get_metric_history(who, run_id, key, None, token)
        points.extend(page.items)
        token = page.next_page_token
        if not token or len(points) >= MAX_HISTORY_RESULTS:
            return points


@router.get("/api/2.0/mlflow/metrics/get-history-bulk")
def get_metric_history_bulk(args: dict[str, Any] = Args, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    run_ids = [str(r) for r in get_list(args, "run_id")]
    if not run_ids:
        raise InvalidParameter("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > MAX_RUN_IDS:
        raise InvalidParameter(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUN_IDS} run_ids. "
            f"Received {len(run_ids)} run_ids.")
    key = get_str(args, "metric_key")
    if key is None:
        raise InvalidParameter("GetMetricHistoryBulk request must specify a metric_key.")
    limit = min(get_int(args, "max_results") or MAX_HISTORY_RESULTS, MAX_HISTORY_RESULTS)
    out: list[dict[str, Any]] = []
    for run_id in sorted(set(run_ids)):
        points = sorted(_history(s, who, run_id, key), key=lambda m: (m.timestamp, m.step, m.value))
        out.extend({**tj.metric(m), "run_id": run_id} for m in points[:limit])
    return {"metrics": out[:limit]}


def _sampled_steps(steps: list[int], n: int) -> set[int]:
    """At most ``n`` of the sorted distinct ``steps``, evenly spread, always with the
    first and the last (what MLflow's sampling keeps, so that a chart's ends hold)."""
    if len(steps) <= n:
        return set(steps)
    if n == 1:
        return {steps[-1]}
    return {steps[round(i * (len(steps) - 1) / (n - 1))] for i in range(n)}


@router.get("/api/2.0/mlflow/metrics/get-history-bulk-interval")
def get_metric_history_bulk_interval(args: dict[str, Any] = Args, s: Services = Svc,
                                     who: Principal = Who) -> dict[str, Any]:
    run_ids = [str(r) for r in get_list(args, "run_ids")]
    if not run_ids:
        raise InvalidParameter(missing("run_ids"))
    if len(run_ids) > MAX_INTERVAL_RUNS:
        raise InvalidParameter(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_INTERVAL_RUNS} "
            f"run_ids. Received {len(run_ids)} run_ids.")
    key = need_str(args, "metric_key")
    n = page_size.HISTORY_INTERVAL.read(args) or MAX_RESULTS_PER_RUN
    start, end = get_int(args, "start_step"), get_int(args, "end_step")
    if (start is None) != (end is None):
        raise InvalidParameter(
            "If either start step or end step are specified, both must be specified.")
    if start is not None and end is not None and start > end:
        raise InvalidParameter("end_step must be greater than start_step. "
                               f"Found start_step={start} and end_step={end}.")
    out: list[dict[str, Any]] = []
    for run_id in run_ids:
        points = [m for m in _history(s, who, run_id, key)
                  if start is None or end is None or start <= m.step <= end]
        keep = _sampled_steps(sorted({m.step for m in points}), n)
        chosen = sorted((m for m in points if m.step in keep),
                        key=lambda m: (m.step, m.timestamp, m.value))
        out.extend({**tj.metric(m), "run_id": run_id} for m in chosen)
    return {"metrics": out}


@router.post("/api/2.0/mlflow/experiments/search-datasets")
def search_datasets(args: dict[str, Any] = Args, s: Services = Svc,
                    who: Principal = Who) -> dict[str, Any]:
    experiment_ids = [str(e) for e in get_list(args, "experiment_ids")]
    if not experiment_ids:
        raise InvalidParameter("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_EXPERIMENT_IDS:
        raise InvalidParameter(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENT_IDS} "
            f"experiment_ids. Received {len(experiment_ids)} experiment_ids.")
    seen: dict[tuple[str, str, str, str], None] = {}
    token: str | None = None
    while True:
        page = s.tracking.search_runs(who, experiment_ids, None, None, 1000, token)
        for run in page.items:
            for item in run.inputs:
                seen[(run.experiment_id, str(item.get("name", "")), str(item.get("digest", "")),
                      str(item.get("context") or ""))] = None
        token = page.next_page_token
        if not token:
            break
    return {"dataset_summaries": [
        {"experiment_id": e, "name": n, "digest": d, **({"context": c} if c else {})}
        for e, n, d, c in seen]}
