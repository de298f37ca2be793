"""The token ``auth.login`` hands the clearml SDK: a JWT, since the SDK decodes it
(unverified) for ``api_version``, ``exp`` and ``feature_set``.

It carries the modelyard token the client logged in with, sealed (AES-GCM under the
server's secret key: ``tok``; empty in the open mode), and is HS256-signed with a key
derived from the server's secret key, so a client can read no secret from it and
change no claim, its expiry included, without that key.  On every later call the JWT
is checked and unpacked here and the modelyard token inside it is verified like any
bearer token (revocation, expiry and scope apply at once); the JWT adds no authority
of its own.  Every server of one database shares the key (``secret_key_file``), so a
JWT from one is good on all.
"""

from __future__ import annotations

import base64
import hmac
import json
import time
from typing import Any

from modelyard.domain.secrets_hashing import TOKEN_PREFIX
from modelyard.errors import Unauthenticated
from modelyard.sealing import KeyFile, UnsealError

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


_PURPOSE = b"clearml-jwt"
_MALFORMED = "malformed ClearML token: log in again"


def issue(keys: KeyFile, token: str, identity: str, api_version: str,
          now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"tok": keys.seal(token), "identity": {"user": identity, "company": "modelyard"},
              "api_version": api_version, "server_version": SERVER_VERSION,
              "feature_set": "basic", "iat": issued, "exp": issued + LIFETIME}
    signing = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    sig = keys.box().mac(_PURPOSE, signing.encode("ascii"))
    return signing + "." + _b64(sig)


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2 and value.startswith("eyJ")


def inner_token(keys: KeyFile, value: str, now: float | None = None) -> str:
    """The modelyard token inside a JWT this server issued; Unauthenticated otherwise."""
    try:
        head, body, sig = value.split(".")
        given = _unb64(sig)
        signing = f"{head}.{body}".encode("ascii")
    except (ValueError, UnicodeEncodeError):
        raise Unauthenticated(_MALFORMED) from None
    if not hmac.compare_digest(keys.box().mac(_PURPOSE, signing), given):
        raise Unauthenticated("invalid ClearML token: log in again")
    try:  # signed here: the claims are this module's own
        claims: Any = json.loads(_unb64(body))
        sealed, expires = claims["tok"], claims["exp"]
    except (ValueError, KeyError, TypeError):
        raise Unauthenticated(_MALFORMED) from None
    if not isinstance(sealed, str) or not isinstance(expires, int) or isinstance(expires, bool):
        raise Unauthenticated(_MALFORMED)
    if expires < (now if now is not None else time.time()):
        raise Unauthenticated("expired ClearML token: log in again")
    try:
        return keys.open(sealed)
    except UnsealError:
        raise Unauthenticated(_MALFORMED) from None
