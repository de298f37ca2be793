"""The credentials of single sign-on, read from a request for :mod:`server.auth`: a
JWT of the OIDC issuer as a bearer token, the user header of a trusted reverse proxy,
and the session cookie of a browser.

The proxy header is honoured only when the TCP peer is in ``trusted_proxies``; from
any other address it is ignored (the request then needs another credential), so a
client reaching the registry directly cannot name itself.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import replace
from functools import lru_cache

from fastapi import Request

from modelyard.domain.entities import Principal
from modelyard.errors import InvalidParameter
from modelyard.server.sso.oidc import OidcClient
from modelyard.services import Services

COOKIE = "modelyard_session"
PROXY_ISSUER = "proxy"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def networks(spec: str) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False)
                     for p in spec.split(",") if p.strip())
    except ValueError:
        raise InvalidParameter(f"trusted_proxies is not a list of networks: {spec!r}") from None


def trusted_peer(address: str, spec: str) -> bool:
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(peer in net for net in networks(spec))


def oidc_client(request: Request) -> OidcClient | None:
    found: OidcClient | None = getattr(request.app.state, "oidc", None)
    return found


def from_jwt(request: Request, services: Services, token: str, address: str) -> Principal:
    client = oidc_client(request)
    assert client is not None
    claims = client.verify(token)
    sub, hint, groups = client.identity(claims)
    found = services.access.external_login(client.issuer, sub, hint, groups, via="oidc",
                                           address=address)
    # The audit log names the JWT by its ``jti`` or a prefix of its hash.
    jti = str(claims.get("jti") or "")[:40] or hashlib.sha256(token.encode()).hexdigest()[:16]
    return replace(found, token_id="oidc:" + jti)


def from_proxy(request: Request, services: Services, address: str) -> Principal | None:
    settings = services.settings
    if not settings.trusted_proxy_header:
        return None
    name = request.headers.get(settings.trusted_proxy_header, "").strip()
    if not name or not trusted_peer(address, settings.trusted_proxies):
        return None
    found = services.access.external_login(PROXY_ISSUER, name, name, None, via="proxy",
                                           address=address)
    return replace(found, token_id="proxy")


def from_cookie(request: Request, services: Services, address: str) -> Principal | None:
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    return services.access.authenticate_session(secret, address=address)
