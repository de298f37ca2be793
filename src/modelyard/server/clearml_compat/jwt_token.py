"""The token ``auth.login`` hands the clearml SDK: a JWT, since the SDK decodes it
(unverified) for ``api_version``, ``exp`` and ``feature_set``.

It carries the modelyard token the client logged in with (``tok``; empty in the open
mode), and is HS256-signed with a key derived from that token, so a client can change
no claim without knowing the token.  On every later call the JWT is unpacked here and
the modelyard token inside it is verified like any bearer token (revocation, expiry
and scope apply at once); the JWT adds no authority of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from modelyard.domain.secrets_hashing import TOKEN_PREFIX
from modelyard.errors import Unauthenticated

LIFETIME = 24 * 3600
SERVER_VERSION = "1.16.3"


def clearml_token(access_key: str, secret_key: str) -> str:
    """The modelyard token of a ClearML key pair (``my_<access key>_<secret key>``);
    a whole token given as the access key is taken as it is."""
    if access_key.startswith(TOKEN_PREFIX + "_"):
        return access_key
    return f"{TOKEN_PREFIX}_{access_key}_{secret_key}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(token: str) -> bytes:
    return hashlib.sha256(b"modelyard-clearml-jwt\x00" + token.encode("utf-8")).digest()


def issue(token: str, identity: str, api_version: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"tok": token, "identity": {"user": identity, "company": "modelyard"},
              "api_version": api_version, "server_version": SERVER_VERSION,
              "feature_set": "basic", "iat": issued, "exp": issued + LIFETIME}
    signing = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    sig = hmac.new(_key(token), signing.encode("ascii"), hashlib.sha256).digest()
    return signing + "." + _b64(sig)


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2 and value.startswith("eyJ")


def inner_token(value: str, now: float | None = None) -> str:
    """The modelyard token inside a JWT this server issued; Unauthenticated otherwise."""
    try:
        head, body, sig = value.split(".")
        claims: Any = json.loads(_unb64(body))
        token = claims["tok"]
        expires = int(claims["exp"])
        given = _unb64(sig)
    except (ValueError, KeyError, TypeError):
        raise Unauthenticated("malformed ClearML token: log in again") from None
    if not isinstance(token, str):
        raise Unauthenticated("malformed ClearML token: log in again")
    wanted = hmac.new(_key(token), f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(wanted, given):
        raise Unauthenticated("invalid ClearML token: log in again")
    if expires < (now if now is not None else time.time()):
        raise Unauthenticated("expired ClearML token: log in again")
    return token
