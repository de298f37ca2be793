"""A small real OpenID Connect provider on 127.0.0.1, for tests: signing keys,
discovery, JWKS, an authorize endpoint that approves the configured user at once, and
a token endpoint that checks the client secret, the redirect URI and PKCE (S256)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Provider:
    def __init__(self, client_id: str = "modelyard", client_secret: str = "") -> None:
        self.client_id = client_id
        self.client_secret = client_secret or "oidc-secret-" + secrets.token_hex(12)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.rogue = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        self.user: dict[str, Any] = {"sub": "u-1", "preferred_username": "alice",
                                     "groups": ["ml"]}
        self.codes: dict[str, dict[str, str]] = {}
        self.jwks_fetches = 0
        self.tamper_nonce = False
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None,
                      headers: dict[str, str] | None = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif parts.path == "/jwks":
                    provider.jwks_fetches += 1
                    self._send(200, KeySet([provider.key]).as_dict(private=False))
                elif parts.path == "/authorize":
                    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = q
                    back = q["redirect_uri"] + "?" + urlencode({"code": code,
                                                                "state": q.get("state", "")})
                    self._send(302, None, {"location": back})
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                auth = self.headers.get("authorization", "")
                want = "Basic " + base64.b64encode(
                    f"{provider.client_id}:{provider.client_secret}".encode()).decode()
                if auth != want:
                    self._send(401, {"error": "invalid_client"})
                    return
                q = provider.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                if (q is None or q.get("redirect_uri") != form.get("redirect_uri")
                        or q.get("code_challenge_method") != "S256"
                        or _b64(hashlib.sha256(verifier.encode()).digest())
                        != q.get("code_challenge")):
                    self._send(400, {"error": "invalid_grant"})
                    return
                nonce = "other" if provider.tamper_nonce else q.get("nonce", "")
                self._send(200, {"token_type": "Bearer",
                                 "access_token": provider.mint(),
                                 "id_token": provider.mint(aud=provider.client_id,
                                                           nonce=nonce)})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.url, "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token", "jwks_uri": self.url + "/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"]}

    def mint(self, *, key: RSAKey | None = None, kid: str | None = None,
             alg: str = "RS256", **claims: Any) -> str:
        """A JWT of the configured user; ``claims`` override (None removes one)."""
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.url, "aud": self.client_id, "iat": now,
                                "nbf": now, "exp": now + 300, **self.user}
        for k, v in claims.items():
            if v is None:
                body.pop(k, None)
            else:
                body[k] = v
        header = {"alg": alg, "kid": kid or (key or self.key).kid}
        return jwt.encode(header, body, key or self.key, algorithms=[alg])

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
