"""MLflow's model registry API (``/api/2.0/mlflow/registered-models/*`` and
``model-versions/*``) on :class:`~modelyard.domain.registry.RegistryService`.

MLflow deletes are hard deletes for the client; ours are soft, and a deleted model's
name is free again at once, which is what the client expects.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelyard.domain.entities import Principal
from modelyard.domain.validation import check_int, is_ascii_int
from modelyard.errors import (
    ApprovalRequired,
    Conflict,
    InvalidParameter,
    NoSuchAlias,
    NoSuchTag,
)
from modelyard.server.mlflow_compat import translate as tr
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
from modelyard.server.mlflow_compat.sources import source_origin
from modelyard.services import Services

router = APIRouter(prefix="/api/2.0/mlflow", include_in_schema=False,
                   route_class=MlflowRoute)

# MLflow spellings -> ours (fields the domain's filter language names differently).
MODEL_ORDER_RENAMES = {"timestamp": "creation_timestamp"}
VERSION_RENAMES = {"source_path": "source", "timestamp": "creation_timestamp"}


def _version_arg(args: dict[str, Any]) -> int:
    text = need_str(args, "version")
    if not is_ascii_int(text):
        raise InvalidParameter(f"Version must be a positive integer, got {text!r}")
    return check_int(text, "version")


# -- registered models --------------------------------------------------------------
@router.post("/registered-models/create")
def create_registered_model(args: dict[str, Any] = Args, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    m = s.registry.create_model(who, need_str(args, "name"),
                                get_str(args, "description", "") or "", get_tags(args))
    return {"registered_model": tr.registered_model(m)}


@router.get("/registered-models/get")
def get_registered_model(args: dict[str, Any] = Args, s: Services = Svc,
                         who: Principal = Who) -> dict[str, Any]:
    m, latest = s.registry.model_with_latest(who, need_str(args, "name"))
    return {"registered_model": tr.registered_model(m, latest)}


@router.post("/registered-models/rename")
def rename_registered_model(args: dict[str, Any] = Args, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    m = s.registry.rename_model(who, need_str(args, "name"), need_str(args, "new_name"))
    return {"registered_model": tr.registered_model(m)}


@router.patch("/registered-models/update")
def update_registered_model(args: dict[str, Any] = Args, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    m = s.registry.update_model(who, need_str(args, "name"),
                                get_str(args, "description", "") or "")
    return {"registered_model": tr.registered_model(m)}


@router.delete("/registered-models/delete")
def delete_registered_model(args: dict[str, Any] = Args, s: Services = Svc,
                            who: Principal = Who) -> dict[str, Any]:
    s.registry.delete_model(who, need_str(args, "name"))
    return {}


@router.get("/registered-models/search")
def search_registered_models(args: dict[str, Any] = Args, s: Services = Svc,
                             who: Principal = Who) -> dict[str, Any]:
    text = get_str(args, "filter")
    page = s.registry.search_models(
        who, tr.registry_filter(text),
        tr.order_list(get_list(args, "order_by"), MODEL_ORDER_RENAMES),
        page_size.MODELS.read(args) or 100, get_str(args, "page_token"),
        kind=tr.searched_kind(text))
    latest = s.registry.latest_versions_of(who, [m.name for m in page.items])
    body: dict[str, Any] = {"registered_models": [tr.registered_model(m, latest[m.name])
                                                  for m in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.api_route("/registered-models/get-latest-versions", methods=["GET", "POST"])
def get_latest_versions(args: dict[str, Any] = Args, s: Services = Svc,
                        who: Principal = Who) -> dict[str, Any]:
    stages = [str(x) for x in get_list(args, "stages")]
    versions = s.registry.latest_versions(who, need_str(args, "name"), stages or None)
    return {"model_versions": [tr.model_version(v) for v in versions]}


@router.post("/registered-models/set-tag")
def set_registered_model_tag(args: dict[str, Any] = Args, s: Services = Svc,
                             who: Principal = Who) -> dict[str, Any]:
    s.registry.set_model_tag(who, need_str(args, "name"), need_str(args, "key"),
                             get_str(args, "value", "") or "")
    return {}


@router.delete("/registered-models/delete-tag")
def delete_registered_model_tag(args: dict[str, Any] = Args, s: Services = Svc,
                                who: Principal = Who) -> dict[str, Any]:
    try:
        s.registry.delete_model_tag(who, need_str(args, "name"), need_str(args, "key"))
    except NoSuchTag:
        pass  # MLflow deletes a model's or a version's missing tag without a word
    return {}


@router.post("/registered-models/alias")
def set_registered_model_alias(args: dict[str, Any] = Args, s: Services = Svc,
                               who: Principal = Who) -> dict[str, Any]:
    s.registry.set_alias(who, need_str(args, "name"), need_str(args, "alias"),
                         _version_arg(args))
    return {}


@router.get("/registered-models/alias")
def get_model_version_by_alias(args: dict[str, Any] = Args, s: Services = Svc,
                               who: Principal = Who) -> dict[str, Any]:
    alias = need_str(args, "alias")
    # MLflow reserves the alias "latest" (any case): the newest version, which is
    # what ``load_prompt("prompts:/name@latest")`` and ``models:/name@latest`` ask.
    spec = "latest" if alias.lower() == "latest" else "@" + alias
    try:
        v = s.registry.get_version(who, need_str(args, "name"), spec)
    except NoSuchAlias as e:  # MLflow's code for an alias the model does not have
        raise InvalidParameter(e.message) from None
    return {"model_version": tr.model_version(v)}


@router.delete("/registered-models/alias")
def delete_registered_model_alias(args: dict[str, Any] = Args, s: Services = Svc,
                                  who: Principal = Who) -> dict[str, Any]:
    try:
        s.registry.delete_alias(who, need_str(args, "name"), need_str(args, "alias"))
    except NoSuchAlias:
        pass  # as in MLflow: deleting an alias that is not there succeeds
    return {}


# -- model versions -----------------------------------------------------------------
@router.post("/model-versions/create")
def create_model_version(args: dict[str, Any] = Args, s: Services = Svc,
                         who: Principal = Who) -> dict[str, Any]:
    name = need_str(args, "name")
    source = need_str(args, "source")
    v = s.sources.register_from_source(
        who, name, source, origin=source_origin(source), model_id=get_str(args, "model_id"),
        run_id=get_str(args, "run_id"), description=get_str(args, "description", "") or "",
        tags=get_tags(args))
    return {"model_version": tr.model_version(v)}


@router.get("/model-versions/get")
def get_model_version(args: dict[str, Any] = Args, s: Services = Svc,
                      who: Principal = Who) -> dict[str, Any]:
    v = s.registry.get_version(who, need_str(args, "name"), _version_arg(args))
    return {"model_version": tr.model_version(v)}


@router.patch("/model-versions/update")
def update_model_version(args: dict[str, Any] = Args, s: Services = Svc,
                         who: Principal = Who) -> dict[str, Any]:
    v = s.registry.update_version(who, need_str(args, "name"), _version_arg(args),
                                  get_str(args, "description", "") or "")
    return {"model_version": tr.model_version(v)}


@router.delete("/model-versions/delete")
def delete_model_version(args: dict[str, Any] = Args, s: Services = Svc,
                         who: Principal = Who) -> dict[str, Any]:
    s.registry.delete_version(who, need_str(args, "name"), _version_arg(args))
    return {}


@router.post("/model-versions/transition-stage")
def transition_model_version_stage(args: dict[str, Any] = Args, s: Services = Svc,
                                   who: Principal = Who) -> dict[str, Any]:
    try:
        v = s.registry.transition_stage(
            who, need_str(args, "name"), _version_arg(args), need_str(args, "stage"),
            archive_existing=get_bool(args, "archive_existing_versions"))
    except ApprovalRequired as exc:  # MLflow's client knows INVALID_STATE, not our code
        raise Conflict(exc.message) from None
    return {"model_version": tr.model_version(v)}


@router.get("/model-versions/search")
def search_model_versions(args: dict[str, Any] = Args, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    text = get_str(args, "filter")
    page = s.registry.search_versions(
        who, tr.registry_filter(text, VERSION_RENAMES),
        tr.order_list(get_list(args, "order_by"), VERSION_RENAMES),
        page_size.VERSIONS.read(args) or 10_000, get_str(args, "page_token"),
        kind=tr.searched_kind(text))
    body: dict[str, Any] = {"model_versions": [tr.model_version(v) for v in page.items]}
    if page.next_page_token:
        body["next_page_token"] = page.next_page_token
    return body


@router.get("/model-versions/get-download-uri")
def get_model_version_download_uri(args: dict[str, Any] = Args, s: Services = Svc,
                                   who: Principal = Who) -> dict[str, Any]:
    v = s.registry.get_version(who, need_str(args, "name"), _version_arg(args))
    return {"artifact_uri": tr.version_download_uri(v.model, v.version)}


@router.post("/model-versions/set-tag")
def set_model_version_tag(args: dict[str, Any] = Args, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    s.registry.set_version_tag(who, need_str(args, "name"), _version_arg(args),
                               need_str(args, "key"), get_str(args, "value", "") or "")
    return {}


@router.delete("/model-versions/delete-tag")
def delete_model_version_tag(args: dict[str, Any] = Args, s: Services = Svc,
                             who: Principal = Who) -> dict[str, Any]:
    try:
        s.registry.delete_version_tag(who, need_str(args, "name"), _version_arg(args),
                                      need_str(args, "key"))
    except NoSuchTag:
        pass
    return {}
