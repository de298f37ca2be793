"""The REST API of MLflow's basic-auth app (``mlflow server --app-name basic-auth``)
that admin scripts call: users (create, get, update-password, update-admin, delete)
and ``registered-models/permissions/*``, mapped onto modelyard's users and roles.

MLflow's permission names map onto roles: ``READ`` -> viewer, ``EDIT`` -> editor,
``MANAGE`` -> maintainer; ``NO_PERMISSIONS`` removes the grant.  Experiment
permissions and MLflow 3's unified per-user permission routes are in
``auth_permissions``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelyard.domain.access_records import User
from modelyard.domain.entities import Principal
from modelyard.errors import InvalidParameter, NotFound, PermissionDenied
from modelyard.server.mlflow_compat.common import Args, MlflowRoute, Svc, Who, get_bool, need_str
from modelyard.services import Services

router = APIRouter(route_class=MlflowRoute)
P = "/api/2.0/mlflow"
TO_ROLE = {"READ": "viewer", "EDIT": "editor", "MANAGE": "maintainer"}
FROM_ROLE = {"viewer": "READ", "editor": "EDIT", "maintainer": "MANAGE", "admin": "MANAGE"}


def visible_user_id(s: Services, who: Principal, username: str) -> int | None:
    """A user's id when the caller may see it (admins, the user itself); a model's or
    experiment's maintainer managing its permissions gets ``null``."""
    try:
        return s.access.user_id(who, username)
    except PermissionDenied:
        return None


def _user(user: User, user_id: int) -> dict[str, Any]:
    return {"id": user_id, "username": user.name, "is_admin": user.is_admin}


@router.post(P + "/users/create")
def create_user(args: dict[str, Any] = Args, s: Services = Svc,
                who: Principal = Who) -> dict[str, Any]:
    user = s.access.create_user(who, need_str(args, "username"),
                                password=need_str(args, "password"), with_token=False)
    return {"user": _user(user, s.access.user_id(who, user.name))}


@router.get(P + "/users/get")
def get_user(args: dict[str, Any] = Args, s: Services = Svc,
             who: Principal = Who) -> dict[str, Any]:
    name = need_str(args, "username")
    return {"user": _user(s.access.get_user(who, name), s.access.user_id(who, name))}


@router.patch(P + "/users/update-password")
def update_password(args: dict[str, Any] = Args, s: Services = Svc,
                    who: Principal = Who) -> dict[str, Any]:
    s.access.update_user(who, need_str(args, "username"), password=need_str(args, "password"))
    return {}


@router.patch(P + "/users/update-admin")
def update_admin(args: dict[str, Any] = Args, s: Services = Svc,
                 who: Principal = Who) -> dict[str, Any]:
    s.access.update_user(who, need_str(args, "username"), is_admin=get_bool(args, "is_admin"))
    return {}


@router.delete(P + "/users/delete")
def delete_user(args: dict[str, Any] = Args, s: Services = Svc,
                who: Principal = Who) -> dict[str, Any]:
    s.access.delete_user(who, need_str(args, "username"))
    return {}


def _role(args: dict[str, Any]) -> str | None:
    name = need_str(args, "permission").upper()
    if name == "NO_PERMISSIONS":
        return None
    if name not in TO_ROLE:
        raise InvalidParameter(f"permission must be one of READ, EDIT, MANAGE, NO_PERMISSIONS, "
                               f"not {name!r}")
    return TO_ROLE[name]


def _set(args: dict[str, Any], s: Services, who: Principal) -> dict[str, Any]:
    model, username = need_str(args, "name"), need_str(args, "username")
    role = _role(args)
    if role is None:
        try:
            s.access.revoke_role(who, username, model=model)
        except NotFound:
            pass
        permission = "NO_PERMISSIONS"
    else:
        s.access.grant_role(who, username, role, model=model)
        permission = FROM_ROLE[role]
    return {"registered_model_permission": {
        "name": model, "user_id": visible_user_id(s, who, username), "permission": permission}}


@router.post(P + "/registered-models/permissions/create")
def create_permission(args: dict[str, Any] = Args, s: Services = Svc,
                      who: Principal = Who) -> dict[str, Any]:
    return _set(args, s, who)


@router.patch(P + "/registered-models/permissions/update")
def update_permission(args: dict[str, Any] = Args, s: Services = Svc,
                      who: Principal = Who) -> dict[str, Any]:
    _set(args, s, who)
    return {}


@router.get(P + "/registered-models/permissions/get")
def get_permission(args: dict[str, Any] = Args, s: Services = Svc,
                   who: Principal = Who) -> dict[str, Any]:
    model, username = need_str(args, "name"), need_str(args, "username")
    grants = [g for g in s.access.list_grants(who, user=username, model=model)
              if g.subject_kind == "user" and g.subject == username]
    if not grants:
        raise NotFound(f"user {username!r} has no permission on registered model {model!r}")
    return {"registered_model_permission": {
        "name": model, "user_id": visible_user_id(s, who, username),
        "permission": FROM_ROLE[grants[0].role]}}


@router.delete(P + "/registered-models/permissions/delete")
def delete_permission(args: dict[str, Any] = Args, s: Services = Svc,
                      who: Principal = Who) -> dict[str, Any]:
    s.access.revoke_role(who, need_str(args, "username"), model=need_str(args, "name"))
    return {}
