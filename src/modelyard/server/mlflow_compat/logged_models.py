"""MLflow 3's logged-model API (``/api/2.0/mlflow/logged-models``) on
:class:`~modelyard.domain.logged_models.LoggedModelService`."""

from __future__ import annotations

import posixpath
from typing import Any

from fastapi import APIRouter

from modelyard.domain.entities import ModelMetric, Principal
from modelyard.domain.logged_models import LoggedModel, list_folder
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat import page_size
from modelyard.server.mlflow_compat.common import (
    Args,
    Svc,
    Who,
    MlflowRoute,
    get_bool,
    get_list,
    get_str,
    get_tags,
    need_str,
)
from modelyard.server.mlflow_compat.tracking_json import number
from modelyard.server.mlflow_compat.translate import tag_list
from modelyard.services import Services

router = APIRouter(prefix="/api/2.0/mlflow/logged-models", include_in_schema=False,
                   route_class=MlflowRoute)

_STATUS_OUT = {"PENDING": "LOGGED_MODEL_PENDING", "READY": "LOGGED_MODEL_READY",
               "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}
_STATUS_IN = {v: k for k, v in _STATUS_OUT.items()}


def logged_model(m: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "creation_timestamp_ms": m.created_at,
        "last_updated_timestamp_ms": m.updated_at,
        "artifact_uri": f"mlflow-artifacts:/{m.experiment_id}/models/{m.model_id}/artifacts",
        "status": _STATUS_OUT.get(m.status, m.status),
        "model_type": m.model_type,
        "tags": tag_list(m.tags),
    }
    if m.source_run_id:
        info["source_run_id"] = m.source_run_id
    data: dict[str, Any] = {"params": tag_list(m.params)}
    if m.metrics:
        data["metrics"] = [_metric(p, m.model_id) for p in m.metrics]
    return {"info": info, "data": data}


def _metric(p: ModelMetric, model_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": p.key, "value": number(p.value), "timestamp": p.timestamp,
                           "step": p.step, "model_id": model_id}
    if p.dataset_name:
        out["dataset_name"] = p.dataset_name
    if p.dataset_digest:
        out["dataset_digest"] = p.dataset_digest
    out["run_id"] = p.run_id
    return out


def _order(items: list[Any]) -> tuple[list[str] | None, list[dict[str, Any] | None]]:
    """SearchLoggedModels' ``{field_name, ascending, dataset_name, dataset_digest}``
    objects as ``"field DESC"``, with each one's dataset (None: any)."""
    out: list[str] = []
    on: list[dict[str, Any] | None] = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
            on.append(None)
        elif isinstance(item, dict) and item.get("field_name"):
            asc = get_bool(item, "ascending", True)
            out.append(f"{item['field_name']} {'ASC' if asc else 'DESC'}")
            dataset = {k: get_str(item, k) for k in ("dataset_name", "dataset_digest")}
            on.append(dataset if any(dataset.values()) else None)
    return out or None, on


@router.post("")
def create_logged_model(args: dict[str, Any] = Args, s: Services = Svc,
                        who: Principal = Who) -> dict[str, Any]:
    m = s.logged_models.create(
        who, need_str(args, "experiment_id"), get_str(args, "name"),
        source_run_id=get_str(args, "source_run_id"),
        model_type=get_str(args, "model_type", "") or "",
        params=get_tags(args, "params"), tags=get_tags(args))
    return {"model": logged_model(m)}


@router.post("/search")
def search_logged_models(args: dict[str, Any] = Args, s: Services = Svc,
                         who: Principal = Who) -> dict[str, Any]:
    datasets = [d if isinstance(d, dict) else {} for d in get_list(args, "datasets")]
    order, order_datasets = _order(get_list(args, "order_by"))
    page = s.logged_models.search(
        who, [str(e) for e in get_list(args, "experiment_ids")], get_str(args, "filter"),
        order, page_size.LOGGED_MODELS.read(args), get_str(args, "page_token"),
        datasets=datasets or None, order_datasets=order_datasets)
    body: dict[str, Any] = {"models": [logged_model(m) for m in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.get("/{model_id}")
def get_logged_model(model_id: str, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    return {"model": logged_model(s.logged_models.get(who, model_id))}


@router.patch("/{model_id}")
def finalize_logged_model(model_id: str, args: dict[str, Any] = Args, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    status = need_str(args, "status")
    if status not in _STATUS_IN:
        raise InvalidParameter(f"status must be one of {', '.join(_STATUS_IN)}")
    return {"model": logged_model(s.logged_models.finalize(who, model_id, _STATUS_IN[status]))}


@router.delete("/{model_id}")
def delete_logged_model(model_id: str, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.logged_models.delete(who, model_id)
    return {}


@router.post("/{model_id}/params")
def log_logged_model_params(model_id: str, args: dict[str, Any] = Args, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    s.logged_models.log_params(who, model_id, get_tags(args, "params"))
    return {}


@router.patch("/{model_id}/tags")
def set_logged_model_tags(model_id: str, args: dict[str, Any] = Args, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    s.logged_models.set_tags(who, model_id, get_tags(args))
    return {"model": logged_model(s.logged_models.get(who, model_id))}


@router.delete("/{model_id}/tags/{key:path}")
def delete_logged_model_tag(model_id: str, key: str, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    s.logged_models.delete_tag(who, model_id, key)
    return {}


@router.get("/{model_id}/artifacts/directories")
def list_logged_model_artifacts(model_id: str, args: dict[str, Any] = Args, s: Services = Svc,
                                who: Principal = Who) -> dict[str, Any]:
    path = (get_str(args, "artifact_directory_path", "") or "").strip("/")
    entries = list_folder(s.logged_models.files(who, model_id, path), path)
    return {"root_uri": logged_model(s.logged_models.get(who, model_id))["info"]["artifact_uri"],
            "files": [{"path": posixpath.join(path, posixpath.basename(e["path"])) if path
                       else e["path"], "is_dir": e["is_dir"],
                       **({} if e["is_dir"] else {"file_size": e["size"]})} for e in entries]}
