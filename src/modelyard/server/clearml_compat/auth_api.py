"""``auth.login``: the credentials (HTTP Basic with a modelyard token's id as access
key and its secret as secret key, or a bearer JWT issued here) are verified by
``server/auth.py`` like any other; this exchanges them for a fresh JWT
(:mod:`.jwt_token`).  In the open mode any pair is accepted."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from modelyard.errors import Unauthenticated
from modelyard.sealing import KeyFile
from modelyard.server import deps
from modelyard.server.clearml_compat import jwt_token, wire

router = APIRouter(route_class=wire.ClearmlRoute, include_in_schema=False)


def _token_of(keys: KeyFile, header: str) -> str:
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return jwt_token.inner_token(keys, value) if jwt_token.looks_like_jwt(value) else value
    if scheme.lower() == "basic" and value:
        try:
            access, sep, secret = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        if sep and access:
            return jwt_token.clearml_token(access, secret)
    raise Unauthenticated("send the access key and secret key of a modelyard token")


@router.api_route("/clearml/api/auth.login", methods=["GET", "POST"])
async def login(request: Request) -> JSONResponse:
    services, who = deps.services(request), deps.principal(request)
    token = "" if services.access.is_open() else \
        _token_of(services.keys, request.headers.get("authorization", ""))
    return wire.ok(request.url.path, {"token": jwt_token.issue(services.keys, token, who.name,
                                                               wire.API_VERSION)})
