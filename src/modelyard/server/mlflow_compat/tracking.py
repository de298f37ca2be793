"""MLflow's tracking API (``/api/2.0/mlflow/experiments/*``, ``runs/*``,
``metrics/get-history``) on :class:`~modelyard.domain.tracking.TrackingService`."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter

from modelyard.domain.entities import Principal
from modelyard.domain.validation import MAX_RUN_TAG_VALUE
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat import tracking_json as tj
from modelyard.server.mlflow_compat import page_size
from modelyard.server.mlflow_compat.common import (
    Args,
    Svc,
    Who,
    MlflowRoute,
    get_float,
    get_int,
    get_list,
    get_str,
    get_tags,
    invalid_type,
    missing,
    need_str,
)
from modelyard.services import Services

router = APIRouter(prefix="/api/2.0/mlflow", include_in_schema=False,
                   route_class=MlflowRoute)

HISTORY_TAG = "mlflow.log-model.history"

# ViewType: ACTIVE_ONLY (1), DELETED_ONLY (2), ALL (3) -> the services' ``deleted``.
_VIEWS: dict[str, bool | None] = {"ACTIVE_ONLY": False, "1": False, "DELETED_ONLY": True,
                                  "2": True, "ALL": None, "3": None}


def _view(args: dict[str, Any], key: str) -> bool | None:
    value = get_str(args, key, "ACTIVE_ONLY") or "ACTIVE_ONLY"
    if value.upper() not in _VIEWS:
        raise InvalidParameter(f"Invalid value {value!r} for parameter '{key}'")
    return _VIEWS[value.upper()]


def _run_id(args: dict[str, Any]) -> str:
    # The client sends both run_id and the older run_uuid.
    run_id = get_str(args, "run_id") or get_str(args, "run_uuid")
    if run_id is None:
        raise InvalidParameter(missing("run_id"))
    return run_id


def _page(items: list[Any], key: str, token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {key: items}
    if token:
        body["next_page_token"] = token
    return body


# -- experiments --------------------------------------------------------------------
@router.post("/experiments/create")
def create_experiment(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    e = s.tracking.create_experiment(who, need_str(args, "name"), get_tags(args),
                                     get_str(args, "artifact_location"))
    return {"experiment_id": e.experiment_id}


@router.get("/experiments/get")
def get_experiment(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    return {"experiment": tj.experiment(s.tracking.get_experiment(
        who, need_str(args, "experiment_id")))}


@router.get("/experiments/get-by-name")
def get_experiment_by_name(args: dict[str, Any] = Args, s: Services = Svc,
                           who: Principal = Who) -> dict[str, Any]:
    return {"experiment": tj.experiment(s.tracking.get_experiment_by_name(
        who, need_str(args, "experiment_name")))}


@router.api_route("/experiments/search", methods=["GET", "POST"])
def search_experiments(args: dict[str, Any] = Args, s: Services = Svc,
                       who: Principal = Who) -> dict[str, Any]:
    page = s.tracking.search_experiments(
        who, get_str(args, "filter"), [str(o) for o in get_list(args, "order_by")] or None,
        page_size.EXPERIMENTS.read(args), get_str(args, "page_token"),
        deleted=_view(args, "view_type"))
    return _page([tj.experiment(e) for e in page.items], "experiments", page.next_page_token)


@router.post("/experiments/update")
def update_experiment(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.rename_experiment(who, need_str(args, "experiment_id"), need_str(args, "new_name"))
    return {}


@router.post("/experiments/delete")
def delete_experiment(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.delete_experiment(who, need_str(args, "experiment_id"))
    return {}


@router.post("/experiments/restore")
def restore_experiment(args: dict[str, Any] = Args, s: Services = Svc,
                       who: Principal = Who) -> dict[str, Any]:
    s.tracking.restore_experiment(who, need_str(args, "experiment_id"))
    return {}


@router.post("/experiments/set-experiment-tag")
def set_experiment_tag(args: dict[str, Any] = Args, s: Services = Svc,
                       who: Principal = Who) -> dict[str, Any]:
    s.tracking.set_experiment_tag(who, need_str(args, "experiment_id"), need_str(args, "key"),
                                  get_str(args, "value", "") or "")
    return {}


@router.post("/experiments/delete-experiment-tag")
def delete_experiment_tag(args: dict[str, Any] = Args, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    s.tracking.delete_experiment_tag(who, need_str(args, "experiment_id"), need_str(args, "key"))
    return {}


# -- runs ---------------------------------------------------------------------------
@router.post("/runs/create")
def create_run(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    # MLflow's client sends the default experiment ("0") when it knows no other, also
    # for ``start_run(nested=True)`` inside a run of another experiment: a child run
    # sent that way belongs with its parent, as in MLflow.
    experiment_id = get_str(args, "experiment_id") or None
    tags = get_tags(args)
    if experiment_id == "0" and tags.get("mlflow.parentRunId"):
        experiment_id = None
    r = s.tracking.create_run(who, experiment_id, run_name=get_str(args, "run_name"),
                              start_time=get_int(args, "start_time"), tags=tags,
                              user_id=get_str(args, "user_id"))
    return {"run": tj.run(r, outputs=False)}


@router.get("/runs/get")
def get_run(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    return {"run": tj.run(s.tracking.get_run(who, _run_id(args)))}


@router.post("/runs/update")
def update_run(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    r = s.tracking.update_run(who, _run_id(args), status=get_str(args, "status"),
                              end_time=get_int(args, "end_time"),
                              run_name=get_str(args, "run_name"))
    return {"run_info": tj.run_info(r)}


@router.post("/runs/delete")
def delete_run(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.delete_run(who, _run_id(args))
    return {}


@router.post("/runs/restore")
def restore_run(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.restore_run(who, _run_id(args))
    return {}


@router.post("/runs/log-metric")
def log_metric(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    run_id, key = _run_id(args), need_str(args, "key")
    value = get_float(args, "value")
    if value is None:
        raise InvalidParameter(missing("value"))
    timestamp = get_int(args, "timestamp")
    if timestamp is None:
        raise InvalidParameter(missing("timestamp"))
    s.tracking.log_batch(who, run_id, metrics=[{
        "key": key, "value": value, "step": get_int(args, "step", 0), "timestamp": timestamp,
        "model_id": get_str(args, "model_id"), "dataset_name": get_str(args, "dataset_name"),
        "dataset_digest": get_str(args, "dataset_digest")}])
    return {}


@router.post("/runs/log-parameter")
def log_param(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.log_param(who, _run_id(args), need_str(args, "key"),
                         get_str(args, "value", "") or "")
    return {}


@router.post("/runs/set-tag")
def set_tag(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.set_run_tag(who, _run_id(args), need_str(args, "key"),
                           get_str(args, "value", "") or "")
    return {}


@router.post("/runs/delete-tag")
def delete_tag(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.tracking.delete_run_tag(who, _run_id(args), need_str(args, "key"))
    return {}


@router.post("/runs/log-batch")
def log_batch(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    run_id = _run_id(args)
    _require_fields(args, {"metrics": ("key", "value", "timestamp"), "params": ("key",),
                           "tags": ("key",)})
    s.tracking.log_batch(who, run_id, metrics=get_list(args, "metrics"),
                         params=get_list(args, "params"), tags=get_list(args, "tags"))
    return {}


def _require_fields(args: dict[str, Any], fields: dict[str, tuple[str, ...]]) -> None:
    """MLflow's checks of a batch, before anything is looked up: each list is a list,
    and each item has its required fields (``metrics[0].timestamp``)."""
    for name, required in fields.items():
        items = args.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            raise InvalidParameter(invalid_type(name, items))
        for idx, item in enumerate(items):
            for f in required:
                value = item.get(f) if isinstance(item, dict) else None
                if value is None or value == "":
                    raise InvalidParameter(missing(f"{name}[{idx}].{f}"))


@router.post("/runs/log-inputs")
def log_inputs(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    datasets = tj.dataset_inputs(get_list(args, "datasets"))
    models = [need_str(m, "model_id") for m in get_list(args, "models") if isinstance(m, dict)]
    if datasets or models:
        s.tracking.log_inputs(who, _run_id(args), datasets, models)
    return {}


@router.post("/runs/log-model")
def log_model(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    """MLflow 2's record of a model logged in a run: the MLmodel as JSON, appended to
    the run tag ``mlflow.log-model.history`` (what MLflow's server does)."""
    run_id = _run_id(args)
    try:
        entry = json.loads(need_str(args, "model_json"))
    except ValueError:
        raise InvalidParameter("model_json must be a JSON object") from None
    history = s.tracking.get_run(who, run_id).tags.get(HISTORY_TAG)
    entries = json.loads(history) if history else []
    entries.append(entry)
    value = json.dumps(entries)
    while len(value) > MAX_RUN_TAG_VALUE and len(entries) > 1:
        entries.pop(0)  # keep the newest records that fit in a tag
        value = json.dumps(entries)
    s.tracking.set_run_tag(who, run_id, HISTORY_TAG, value)
    return {}


@router.post("/runs/outputs")
def log_outputs(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    models = [(need_str(m, "model_id"), get_int(m, "step", 0) or 0)
              for m in get_list(args, "models") if isinstance(m, dict)]
    s.logged_models.log_outputs(who, _run_id(args), models)
    return {}


@router.api_route("/runs/search", methods=["GET", "POST"])
def search_runs(args: dict[str, Any] = Args, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    page = s.tracking.search_runs(
        who, [str(e) for e in get_list(args, "experiment_ids")], get_str(args, "filter"),
        [str(o) for o in get_list(args, "order_by")] or None, page_size.RUNS.read(args),
        get_str(args, "page_token"), deleted=_view(args, "run_view_type"))
    return _page([tj.run(r) for r in page.items], "runs", page.next_page_token)


@router.get("/metrics/get-history")
def get_metric_history(args: dict[str, Any] = Args, s: Services = Svc,
                       who: Principal = Who) -> dict[str, Any]:
    page = s.tracking.get_metric_history(who, _run_id(args), need_str(args, "metric_key"),
                                         page_size.HISTORY.read(args),
                                         get_str(args, "page_token"))
    return _page([tj.metric(m) for m in page.items], "metrics", page.next_page_token)
