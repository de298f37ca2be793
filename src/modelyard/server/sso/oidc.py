"""OpenID Connect, relying-party side: the issuer's discovery document and signing keys
(JWKS, cached; fetched again on an unknown ``kid``, at most every ``REFRESH_SECONDS``),
verification of JWTs (access tokens sent as ``Authorization: Bearer``, and the ID
token of a browser login), and the code exchange of the browser login.

A JWT is accepted only when: its ``alg`` is an asymmetric one of :data:`ALGORITHMS`
(never ``none`` nor an HMAC one, so a public key can never act as a shared secret), its
``kid`` names a key of the issuer's JWKS, the signature verifies, ``iss`` is the
issuer, ``aud`` holds the expected audience, and ``exp``/``nbf`` hold within
``LEEWAY`` seconds.  Outbound fetches go only to https URLs not on a loopback,
link-local or unspecified address, unless ``oidc_allow_loopback`` is set.  The client
secret is read from its file and only ever sent to the token endpoint.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from modelyard.config import Settings
from modelyard.errors import InvalidParameter, ServiceUnavailable, Unauthenticated

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY = 60
REFRESH_SECONDS = 30.0
TIMEOUT = 10.0


def check_outbound(url: str, allow_loopback: bool) -> None:
    """Refuse an issuer URL the registry must not call (see the module docs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidParameter("an OIDC URL must be an http(s) URL")
    if allow_loopback:
        return
    if parts.scheme != "https":
        raise InvalidParameter("an OIDC URL must use https (or set oidc_allow_loopback)")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        raise ServiceUnavailable("the OIDC issuer's host does not resolve") from None
    for info in infos:
        addr = ipaddress.ip_address(str(info[4][0]))
        if addr.is_loopback or addr.is_link_local or addr.is_unspecified or addr.is_multicast:
            raise InvalidParameter("an OIDC URL resolves to a loopback or link-local address "
                                   "(set oidc_allow_loopback to allow it)")


def _header(token: str) -> dict[str, Any]:
    try:
        head = token.split(".", 1)[0]
        value = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise Unauthenticated("invalid token: malformed JWT") from None
    if not isinstance(value, dict):
        raise Unauthenticated("invalid token: malformed JWT")
    return value


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2 and value.startswith("ey")


class OidcClient:
    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.audience = settings.oidc_audience or settings.oidc_client_id
        self.groups_claim = settings.oidc_groups_claim
        self.allow_loopback = settings.oidc_allow_loopback
        self._secret_file = settings.oidc_client_secret_file
        if not self.client_id:
            raise InvalidParameter("OIDC needs a client id (--oidc-client-id)")
        check_outbound(self.issuer, self.allow_loopback)
        self._lock = threading.Lock()
        self._discovery: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0

    # -- fetching -------------------------------------------------------------------
    def _get(self, url: str) -> Any:
        check_outbound(url, self.allow_loopback)
        try:
            r = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
            r.raise_for_status()
            return r.json()
        except (httpx.HTTPError, ValueError):
            raise ServiceUnavailable("the OIDC provider could not be reached") from None

    def discovery(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None:
                doc = self._get(self.issuer + "/.well-known/openid-configuration")
                if not isinstance(doc, dict) or doc.get("issuer", "").rstrip("/") != self.issuer:
                    raise ServiceUnavailable("the OIDC discovery document names another issuer")
                self._discovery = doc
            return self._discovery

    def _keyset(self, refresh: bool) -> KeySet:
        doc = self.discovery()
        with self._lock:
            stale = time.monotonic() - self._fetched_at > REFRESH_SECONDS
            if self._keys is None or (refresh and stale):
                try:
                    self._keys = KeySet.import_key_set(self._get(str(doc["jwks_uri"])))
                except (KeyError, JoseError, ValueError, TypeError):
                    raise ServiceUnavailable("the OIDC provider's JWKS is invalid") from None
                self._fetched_at = time.monotonic()
            return self._keys

    def _key(self, kid: str | None) -> Any:
        for refresh in (False, True):
            keys = self._keyset(refresh)
            for key in keys.keys:
                if kid is None or key.kid == kid:
                    return key
        raise Unauthenticated("invalid token: unknown signing key (kid)")

    # -- verifying ------------------------------------------------------------------
    def verify(self, token: str, audience: str | None = None,
               nonce: str | None = None) -> dict[str, Any]:
        """The claims of a valid JWT (see the module docs), else Unauthenticated."""
        head = _header(token)
        alg = head.get("alg")
        if alg not in ALGORITHMS:
            raise Unauthenticated("invalid token: algorithm not allowed")
        key = self._key(head.get("kid"))
        try:
            decoded = jwt.decode(token, key, algorithms=[str(alg)])
        except JoseError:
            raise Unauthenticated("invalid token: bad signature") from None
        claims = dict(decoded.claims)
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": audience or self.audience},
            "exp": {"essential": True}, "sub": {"essential": True}}
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        try:
            jwt.JWTClaimsRegistry(leeway=LEEWAY, **options).validate(claims)
        except JoseError as e:
            what = {"exp": "expired", "nbf": "not yet valid", "iat": "issued in the future"}
            name = getattr(e, "claim", "") or ""
            reason = what.get(name) or (f"wrong {name}" if name else "invalid claims")
            if type(e).__name__ == "ExpiredTokenError":
                reason = "expired"
            raise Unauthenticated(f"invalid token: {reason}") from None
        return claims

    def identity(self, claims: dict[str, Any]) -> tuple[str, str, list[str] | None]:
        """``(subject, name hint, groups)`` of verified claims."""
        sub = str(claims["sub"])
        hint = str(claims.get("preferred_username") or claims.get("email") or sub)
        groups = claims.get(self.groups_claim) if self.groups_claim else None
        if groups is not None and not (isinstance(groups, list)
                                       and all(isinstance(g, str) for g in groups)):
            groups = None
        return sub, hint, groups

    # -- browser login --------------------------------------------------------------
    def secret(self) -> str:
        if not self._secret_file:
            raise InvalidParameter("OIDC browser login needs --oidc-client-secret-file")
        try:
            return Path(self._secret_file).read_text(encoding="utf-8").strip()
        except OSError:
            raise ServiceUnavailable("the OIDC client secret file cannot be read") from None

    def exchange(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer to an authorization code."""
        url = str(self.discovery().get("token_endpoint", ""))
        check_outbound(url, self.allow_loopback)
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "code_verifier": verifier}
        try:
            r = httpx.post(url, data=data, auth=(self.client_id, self.secret()),
                           timeout=TIMEOUT, follow_redirects=False)
        except httpx.HTTPError:
            raise ServiceUnavailable("the OIDC provider could not be reached") from None
        if r.status_code != 200:
            raise Unauthenticated("the OIDC provider refused the authorization code")
        try:
            body = r.json()
        except ValueError:
            raise ServiceUnavailable("the OIDC token endpoint answered no JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            raise Unauthenticated("the OIDC provider sent no ID token")
        return body
