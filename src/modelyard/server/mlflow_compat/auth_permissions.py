"""Experiment permissions of MLflow's basic-auth app, and its unified per-user
permission API, mapped onto modelyard's grants.

- ``/api/2.0/mlflow/experiments/permissions/{create,get,update,delete}`` (the shape
  ``AuthServiceClient.create_experiment_permission`` and friends use).
- ``/api/3.0/mlflow/users/permissions/{grant,revoke,get}`` with ``resource_type``
  ``experiment`` (``resource_id``: the experiment id) or ``registered_model`` (the
  model name): what ``mlflow.server.get_app_client("basic-auth", ...)`` calls since
  MLflow 3.

Permission names map onto roles: ``READ`` (and MLflow 3's ``USE``) -> viewer,
``EDIT`` -> editor, ``MANAGE`` -> maintainer; ``NO_PERMISSIONS`` removes the grant
(MLflow 2 routes; the MLflow 3 grant refuses it, as MLflow does).  ``DENY`` does not
exist here: roles only ever add access.  An experiment's permissions are managed by
whoever may manage the experiment (its creator, maintainers of the default project,
admins); the domain decides (domain/grants.py), this module only translates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelyard.domain.access_records import Grant
from modelyard.domain.entities import Principal
from modelyard.errors import InvalidParameter, NotFound
from modelyard.server.mlflow_compat.auth_api import FROM_ROLE, TO_ROLE, visible_user_id
from modelyard.server.mlflow_compat.common import Args, MlflowRoute, Svc, Who, need_str
from modelyard.services import Services

router = APIRouter(route_class=MlflowRoute)
P = "/api/2.0/mlflow/experiments/permissions"
P3 = "/api/3.0/mlflow/users/permissions"
RANK = {"NO_PERMISSIONS": 0, "READ": 1, "EDIT": 3, "MANAGE": 4}
CAN_USE = {"NO_PERMISSIONS": False, "READ": False, "EDIT": True, "MANAGE": True}


def _role(name: str, *, allow_none: bool) -> str | None:
    name = name.upper()
    if name == "NO_PERMISSIONS" and allow_none:
        return None
    if name == "USE":
        return "viewer"
    if name not in TO_ROLE:
        allowed = "READ, USE, EDIT, MANAGE" + (", NO_PERMISSIONS" if allow_none else "")
        raise InvalidParameter(f"permission must be one of {allowed}, not {name!r}")
    return TO_ROLE[name]


def _known(s: Services, who: Principal, username: str) -> None:
    """An admin is told of an unknown user (a grant would otherwise name a group)."""
    if who.is_admin or s.access.is_open():
        s.access.user_id(who, username)


def _own(grants: list[Grant], username: str) -> list[Grant]:
    return [g for g in grants if g.subject_kind == "user" and g.subject == username]


def _set_experiment(s: Services, who: Principal, experiment: str, username: str,
                    role: str | None) -> str:
    _known(s, who, username)
    if role is None:
        try:
            s.access.revoke_role(who, username, experiment=experiment)
        except NotFound:
            if not _own(s.access.list_grants(who, experiment=experiment), username):
                return "NO_PERMISSIONS"
            raise
        return "NO_PERMISSIONS"
    s.access.grant_role(who, username, role, experiment=experiment)
    return FROM_ROLE[role]


def _experiment_permission(s: Services, who: Principal, experiment: str, username: str,
                           permission: str) -> dict[str, Any]:
    return {"experiment_permission": {"experiment_id": experiment,
                                      "user_id": visible_user_id(s, who, username),
                                      "permission": permission}}


@router.post(P + "/create")
def create_experiment_permission(args: dict[str, Any] = Args, s: Services = Svc,
                                 who: Principal = Who) -> dict[str, Any]:
    experiment, username = need_str(args, "experiment_id"), need_str(args, "username")
    role = _role(need_str(args, "permission"), allow_none=True)
    permission = _set_experiment(s, who, experiment, username, role)
    return _experiment_permission(s, who, experiment, username, permission)


@router.patch(P + "/update")
def update_experiment_permission(args: dict[str, Any] = Args, s: Services = Svc,
                                 who: Principal = Who) -> dict[str, Any]:
    role = _role(need_str(args, "permission"), allow_none=True)
    _set_experiment(s, who, need_str(args, "experiment_id"), need_str(args, "username"), role)
    return {}


@router.get(P + "/get")
def get_experiment_permission(args: dict[str, Any] = Args, s: Services = Svc,
                              who: Principal = Who) -> dict[str, Any]:
    experiment, username = need_str(args, "experiment_id"), need_str(args, "username")
    grants = _own(s.access.list_grants(who, user=username, experiment=experiment), username)
    if not grants:
        raise NotFound(f"user {username!r} has no permission on experiment {experiment!r}")
    return _experiment_permission(s, who, experiment, username, FROM_ROLE[grants[0].role])


@router.delete(P + "/delete")
def delete_experiment_permission(args: dict[str, Any] = Args, s: Services = Svc,
                                 who: Principal = Who) -> dict[str, Any]:
    s.access.revoke_role(who, need_str(args, "username"),
                         experiment=need_str(args, "experiment_id"))
    return {}


def _resource(args: dict[str, Any]) -> tuple[str | None, str | None]:
    """(experiment id, model name): one of them."""
    kind, ident = need_str(args, "resource_type"), need_str(args, "resource_id")
    if kind == "experiment":
        return ident, None
    if kind == "registered_model":
        return None, ident
    raise InvalidParameter(f"resource_type must be experiment or registered_model, not "
                           f"{kind!r}")


@router.post(P3 + "/grant")
def grant_user_permission(args: dict[str, Any] = Args, s: Services = Svc,
                          who: Principal = Who) -> dict[str, Any]:
    username, (experiment, model) = need_str(args, "username"), _resource(args)
    role = _role(need_str(args, "permission"), allow_none=False)
    assert role is not None  # allow_none=False
    _known(s, who, username)
    s.access.grant_role(who, username, role, experiment=experiment, model=model)
    return {}


@router.post(P3 + "/revoke")
def revoke_user_permission(args: dict[str, Any] = Args, s: Services = Svc,
                           who: Principal = Who) -> dict[str, Any]:
    username, (experiment, model) = need_str(args, "username"), _resource(args)
    _known(s, who, username)
    s.access.revoke_role(who, username, experiment=experiment, model=model)
    return {}


@router.get(P3 + "/get")
def get_user_permission(args: dict[str, Any] = Args, s: Services = Svc,
                        who: Principal = Who) -> dict[str, Any]:
    """The user's effective permission: its grants (and its groups') on the resource
    and on the project the resource belongs to; an unknown resource is no permission."""
    username, (experiment, model) = need_str(args, "username"), _resource(args)
    if who.is_admin and s.access.get_user(who, username).is_admin:
        best = "MANAGE"
    else:
        try:
            grants = s.access.list_grants(who, user=username, experiment=experiment,
                                          model=model)
            if model is None:
                grants += s.access.list_grants(who, user=username, project="default")
            else:
                project = s.registry.get_model(who, model).project
                grants += s.access.list_grants(who, user=username, project=project)
        except NotFound:
            grants = []
        best = max((FROM_ROLE[g.role] for g in grants), key=RANK.__getitem__,
                   default="NO_PERMISSIONS")
    return {"allowed": CAN_USE[best], "permission": best}
