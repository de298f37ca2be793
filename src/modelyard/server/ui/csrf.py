"""The web UI's form token: every form carries ``csrf_token``, and a form post is only
acted on when the token matches the browser's own ``modelyard_csrf`` cookie.

The cookie holds a random value set by the server on the first page it sends
(``HttpOnly``, ``SameSite=Strict``, ``Secure`` over HTTPS); another site can neither
read it nor set it, so it cannot forge the field.  This is per browser session: the
cookie lives as long as the browser session.  Once the browser has signed in (the
``modelyard_session`` cookie), the token is derived from that session's secret instead,
so it is tied to the login: a form rendered before a login or after a logout is stale.  The API's rule (:mod:`modelyard.server.csrf`:
JSON or a custom header) does not apply to these form posts; this check replaces it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

from modelyard.errors import InvalidParameter, PayloadTooLarge, PermissionDenied
from modelyard.server.origin import is_https
from modelyard.server.sso.credentials import COOKIE as SESSION_COOKIE

COOKIE = "modelyard_csrf"
FIELD = "csrf_token"
MAX_FORM = 64 * 1024


def session_token(secret: str) -> str:
    """The form token of a login session (43 characters, like a random one)."""
    digest = hashlib.sha256(b"modelyard form token\0" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_for(request: Request) -> str:
    session = request.cookies.get(SESSION_COOKIE, "")
    if session:
        return session_token(session)
    found = request.cookies.get(COOKIE, "")
    if len(found) == 43 and found.replace("-", "").replace("_", "").isalnum():
        return found
    cached: str | None = getattr(request.state, "csrf_token", None)
    if cached is None:
        cached = request.state.csrf_token = secrets.token_urlsafe(32)
    return cached


def set_cookie(request: Request, response: Response, token: str) -> None:
    if request.cookies.get(COOKIE) != token:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=is_https(request))


async def form(request: Request) -> dict[str, str]:
    """The posted form's fields (one value each), after its token was checked."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise InvalidParameter("a form post must be application/x-www-form-urlencoded")
    raw = await request.body()
    if len(raw) > MAX_FORM:
        raise PayloadTooLarge(f"form is larger than {MAX_FORM} bytes")
    try:
        fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), max_num_fields=100).items()}
    except (UnicodeDecodeError, ValueError):
        raise InvalidParameter("malformed form") from None
    session = request.cookies.get(SESSION_COOKIE, "")
    want = session_token(session) if session else request.cookies.get(COOKIE, "")
    sent = fields.pop(FIELD, "")
    if not want or not hmac.compare_digest(want.encode(), sent.encode()):
        raise PermissionDenied("the form's token is missing or stale: reload the page")
    return fields
