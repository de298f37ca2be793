"""Authentication and the first permission gate, for every adapter (native, MLflow,
and whatever comes later): one app-wide dependency, :func:`authenticate`.

It finds the route's rule (:mod:`~modelyard.server.route_rules`; no rule: refused),
reads the credential the request carries (``Authorization: Bearer <token>`` (a token
of ours, or a JWT of the configured OIDC issuer), or HTTP
Basic with a user and a password or a token, which is what the mlflow client sends
for ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``; ``MLFLOW_TRACKING_TOKEN`` is a bearer
token; without an Authorization header, a trusted proxy's user header or the browser
session cookie: :mod:`~modelyard.server.sso.credentials`), verifies it through the domain's access service (cached there briefly), and
leaves the principal on ``request.state.principal`` with the client address and the
request id, for the audit log.  While no user is defined every request acts as the
local admin (credentials are ignored); afterwards a request without a valid credential
gets 401 with ``WWW-Authenticate``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from fastapi import FastAPI, Request

from modelyard.domain.entities import ANONYMOUS, Principal
from modelyard.errors import PermissionDenied, Unauthenticated
from modelyard.server.clearml_compat import jwt_token
from modelyard.server.clearml_compat.jwt_token import clearml_token
from modelyard.server.errors import request_id
from modelyard.server.route_rules import Rule, rule_for
from modelyard.server.sso import credentials as sso
from modelyard.server.sso.oidc import looks_like_jwt
from modelyard.services import Services

CLEARML_API = "/clearml/api/"
CLEARML_PATHS = (CLEARML_API, "/clearml/files")


def _full_paths(app: FastAPI) -> dict[int, str]:
    """Route object id -> the route's whole path template (routers nest prefixes)."""
    out: dict[int, str] = {}

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                ctx = getattr(route, "include_context", None)
                walk(route.original_router.routes, prefix + (getattr(ctx, "prefix", "") or ""))
            elif hasattr(route, "path"):
                out[id(route)] = prefix + route.path

    walk(list(app.routes), "")
    return out


def route_rule(request: Request) -> Rule | None:
    route = request.scope.get("route")
    if route is None:
        return None
    paths: dict[int, str] | None = getattr(request.app.state, "route_paths", None)
    if paths is None or id(route) not in paths:
        paths = request.app.state.route_paths = _full_paths(request.app)
    path = paths.get(id(route))
    return None if path is None else rule_for(request.method, path)


def _credential(request: Request, services: Services, address: str) -> Principal | None:
    header = request.headers.get("authorization")
    if not header:
        if request.url.path.startswith(CLEARML_API):
            # The clearml SDK always sends its token.  A browser's session (cookie or
            # proxy header) is not taken here: ClearML's calls answer GET with their
            # fields in the query string, so a link on another site could make any
            # change as a signed-in user.
            return None
        return (sso.from_proxy(request, services, address)
                or sso.from_cookie(request, services, address))
    scheme, _, value = header.partition(" ")
    value = value.strip()
    access = services.access
    if scheme.lower() == "bearer" and value:
        if request.url.path.startswith(CLEARML_PATHS) and jwt_token.looks_like_jwt(value):
            value = jwt_token.inner_token(services.keys, value)  # the SDK's login token
        elif looks_like_jwt(value) and sso.oidc_client(request) is not None:
            return sso.from_jwt(request, services, value, address)
        return access.authenticate_token(value, address=address)
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        user, sep, password = decoded.partition(":")
        if not sep or not user:
            raise Unauthenticated("malformed Basic credentials")
        if request.url.path.startswith(CLEARML_PATHS):
            # ClearML's key pair: access key = the token's id, secret key = its secret.
            return access.authenticate_token(clearml_token(user, password), address=address)
        return access.authenticate_password(user, password, address=address)
    raise Unauthenticated("unsupported Authorization scheme: use Bearer or Basic")


async def authenticate(request: Request) -> None:
    rule = route_rule(request)
    if rule is None:
        raise PermissionDenied(f"no access rule for {request.method} {request.url.path}")
    if rule == "public":
        return
    services: Services = request.app.state.services
    address = request.client.host if request.client else ""
    if services.access.is_open():
        # No user exists, so no credential could verify: whatever a client sends (a
        # globally set MLFLOW_TRACKING_TOKEN, say) is ignored, as before users existed.
        request.state.principal = replace(ANONYMOUS, address=address,
                                          request_id=request_id.get())
        return
    found = _credential(request, services, address)
    if found is None:
        raise Unauthenticated("authentication required: send a token "
                              "(Authorization: Bearer) or HTTP Basic credentials, "
                              "or log in (/auth/login, /auth/oidc/login)")
    request.state.principal = replace(found, address=address, request_id=request_id.get())
    if rule == "write" and found.scope == "read":
        raise PermissionDenied("this token is read-only")
    if rule == "admin" and not found.is_admin:
        raise PermissionDenied("only an admin may do this")
