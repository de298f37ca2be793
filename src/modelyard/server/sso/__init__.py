"""Browser login and single sign-on routes (an adapter of its own, beside ``api_v1``
and ``mlflow_compat``).

- ``GET /auth/oidc/login?next=/path``: redirect to the OIDC issuer (authorization code
  flow with PKCE S256, ``state`` and ``nonce``).  What the callback must check rides
  in a short-lived HttpOnly cookie signed with a key derived from the client secret,
  so any server process can finish the login.
- ``GET /auth/oidc/callback``: check ``state``, exchange the code (with the PKCE
  verifier and the client secret), verify the ID token (signature, ``iss``, ``aud`` =
  client id, expiry, ``nonce``), open a session and redirect to ``next``.
- ``POST /auth/login`` (JSON ``{"user", "password"}`` or ``{"token"}``; rate limited
  like every login) and ``POST /auth/logout``.
- The session cookie ``modelyard_session`` is HttpOnly, SameSite=Lax, and Secure when
  the request came over https.  ``next`` is only ever a local path (no open redirect).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from modelyard.errors import InvalidParameter, Unauthenticated
from modelyard.server.origin import is_https, public_base
from modelyard.server.sso.credentials import COOKIE, oidc_client
from modelyard.server.sso.oidc import OidcClient
from modelyard.services import Services

STATE_COOKIE = "modelyard_oidc"
STATE_SECONDS = 600


def safe_next(value: str | None) -> str:
    """A local path to return to, else ``/`` (never another origin)."""
    if (not value or not value.startswith("/") or value.startswith(("//", "/\\"))
            or any(c in value for c in "\\\r\n\t") or ":" in value.split("?", 1)[0]):
        return "/"
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _state_key(client: OidcClient) -> bytes:
    return hashlib.sha256(b"modelyard oidc state\0" + client.secret().encode()).digest()


def _seal(client: OidcClient, payload: dict[str, str]) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = _b64(hmac.new(_state_key(client), body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def _unseal(client: OidcClient, value: str) -> dict[str, str]:
    body, _, mac = value.partition(".")
    want = _b64(hmac.new(_state_key(client), body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, want):
        raise Unauthenticated("the login state is missing or invalid; start the login again")
    data: Any = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return {str(k): str(v) for k, v in data.items()}


def _client(request: Request) -> OidcClient:
    client = oidc_client(request)
    if client is None:
        raise InvalidParameter("OIDC login is not configured on this registry")
    return client


def _callback_url(request: Request) -> str:
    return public_base(request) + "/auth/oidc/callback"


def set_session(response: Response, request: Request, secret: str, max_age: int) -> None:
    response.set_cookie(COOKIE, secret, max_age=max_age, path="/", httponly=True,
                        samesite="lax", secure=is_https(request))


def router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/auth/oidc/login")
    def oidc_login(request: Request, next: str | None = None) -> Response:
        client = _client(request)
        verifier = secrets.token_urlsafe(48)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        challenge = _b64(hashlib.sha256(verifier.encode("ascii")).digest())
        query = urlencode({"response_type": "code", "client_id": client.client_id,
                           "redirect_uri": _callback_url(request), "scope": "openid profile email",
                           "state": state, "nonce": nonce, "code_challenge": challenge,
                           "code_challenge_method": "S256"})
        endpoint = str(client.discovery().get("authorization_endpoint", ""))
        response = RedirectResponse(f"{endpoint}?{query}", status_code=302)
        response.set_cookie(STATE_COOKIE, _seal(client, {"state": state, "nonce": nonce,
                                                         "verifier": verifier,
                                                         "next": safe_next(next)}),
                            max_age=STATE_SECONDS, path="/auth/oidc", httponly=True,
                            samesite="lax", secure=is_https(request))
        return response

    @r.get("/auth/oidc/callback")
    def oidc_callback(request: Request, code: str = "", state: str = "",
                      error: str = "") -> Response:
        client = _client(request)
        if error:
            raise Unauthenticated("the OIDC provider refused the login")
        saved = _unseal(client, request.cookies.get(STATE_COOKIE, ""))
        if not state or not hmac.compare_digest(state, saved.get("state", "")):
            raise Unauthenticated("the login state does not match; start the login again")
        if not code:
            raise Unauthenticated("the OIDC provider sent no authorization code")
        answer = client.exchange(code, _callback_url(request), saved["verifier"])
        claims = client.verify(answer["id_token"], audience=client.client_id,
                               nonce=saved["nonce"])
        sub, hint, groups = client.identity(claims)
        services: Services = request.app.state.services
        address = request.client.host if request.client else ""
        who = services.access.external_login(client.issuer, sub, hint, groups, via="oidc",
                                             address=address)
        secret = services.access.open_session(who, "oidc")
        response = RedirectResponse(safe_next(saved.get("next")), status_code=302)
        response.delete_cookie(STATE_COOKIE, path="/auth/oidc")
        set_session(response, request, secret, services.settings.session_hours * 3600)
        return response

    @r.post("/auth/login")
    async def login(request: Request) -> Response:
        services: Services = request.app.state.services
        address = request.client.host if request.client else ""
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise InvalidParameter('send JSON {"user": ..., "password": ...} or {"token": ...}')
        token, user, password = body.get("token"), body.get("user"), body.get("password")
        if not (isinstance(token, str) and token) and not (
                isinstance(user, str) and isinstance(password, str) and user):
            raise InvalidParameter('send JSON {"user": ..., "password": ...} or {"token": ...}')
        who, secret = services.access.login(
            user=user if isinstance(user, str) else None,
            password=password if isinstance(password, str) else None,
            token=token if isinstance(token, str) else None, address=address)
        response = JSONResponse({"user": who.name, "is_admin": who.is_admin})
        set_session(response, request, secret, services.settings.session_hours * 3600)
        return response

    @r.post("/auth/logout")
    def logout(request: Request) -> Response:
        services: Services = request.app.state.services
        secret = request.cookies.get(COOKIE)
        if secret:
            services.access.end_session(secret)
        response = JSONResponse({"logged_out": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    return r
