"""Single sign-on against a real loopback OIDC provider (tests/oidc_provider.py) and a
trusted proxy header: JWT bearer tokens, users on first sight, groups to grants, the
browser code flow with sessions, and the refusals."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.config import Settings
from modelyard.domain.entities import Principal
from modelyard.services import Services
from tests.api.test_secrets import LEAKS
from tests.oidc_provider import Provider

H = {"X-Modelyard-Client": "test"}


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider().start()
    yield p
    p.stop()


@pytest.fixture
def proxies() -> str:
    return "127.0.0.1/32"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, provider: Provider, proxies: str) -> Settings:
    secret = tmp_path / "client-secret"
    secret.write_text(provider.client_secret + "\n")
    return Settings.load({"home": str(tmp_path / "home"), "backend_store_uri": db_url,
                          "oidc_issuer": provider.url, "oidc_client_id": provider.client_id,
                          "oidc_client_secret_file": str(secret),
                          "oidc_allow_loopback": True,
                          "trusted_proxy_header": "X-Forwarded-User",
                          "trusted_proxies": proxies}, environ={})


@pytest.fixture
def admin_token(settings: Settings, services: Services) -> str:
    """A local admin, created the way an operator does: on the database, without SSO."""
    from modelyard.domain.entities import ANONYMOUS

    local = Services.from_settings(Settings.load(
        {"home": settings.home, "backend_store_uri": settings.backend_store_uri}, environ={}))
    try:
        token = local.access.create_user(ANONYMOUS, "root", is_admin=True).token
    finally:
        local.close()
    assert token
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **H}


def test_sso_config_is_never_open(http: httpx.Client) -> None:
    r = http.get("/api/v1/whoami")
    assert r.status_code == 401


def test_jwt_bearer_creates_the_user_once(http: httpx.Client, provider: Provider,
                                          services: Services) -> None:
    r = http.get("/api/v1/whoami", headers=_bearer(provider.mint()))
    assert r.status_code == 200, r.text
    assert r.json()["principal"]["name"] == "alice" and r.json()["principal"]["groups"] == ["ml"]
    # Linked by issuer + subject, not by name: a renamed account is the same user, and
    # another subject with the same name is another user.
    r = http.get("/api/v1/whoami", headers=_bearer(provider.mint(preferred_username="al")))
    assert r.json()["principal"]["name"] == "alice"
    r = http.get("/api/v1/whoami", headers=_bearer(provider.mint(sub="u-2")))
    assert r.json()["principal"]["name"] == "alice-2"
    admin = Principal(name="x", is_admin=True)
    assert sorted(u.name for u in services.access.list_users(admin)) == ["alice", "alice-2"]


@pytest.mark.parametrize(("claims", "reason"), [
    ({"exp": 1000}, "expired"),
    ({"aud": "someone-else"}, "wrong aud"),
    ({"iss": "http://127.0.0.1:1"}, "wrong iss"),
    ({"nbf": 4_000_000_000}, "not yet valid"),
    ({"sub": None}, "sub"),
])
def test_bad_claims_are_401(http: httpx.Client, provider: Provider, claims: dict[str, object],
                            reason: str) -> None:
    r = http.get("/api/v1/whoami", headers=_bearer(provider.mint(**claims)))
    assert r.status_code == 401, r.text
    assert r.json()["error_code"] == "UNAUTHENTICATED"
    assert reason in r.json()["message"]


def test_bad_signature_unknown_kid_and_algs_are_401(http: httpx.Client,
                                                   provider: Provider) -> None:
    cases = {"bad signature": provider.mint(key=provider.rogue),
             "unknown signing key": provider.mint(kid="nope"),
             "algorithm not allowed": _forged_hs256(provider)}
    for reason, token in cases.items():
        r = http.get("/api/v1/whoami", headers=_bearer(token))
        assert r.status_code == 401 and reason in r.json()["message"], (reason, r.text)
    fetches = provider.jwks_fetches
    for _ in range(5):  # unknown kids refresh the JWKS at most every few seconds
        http.get("/api/v1/whoami", headers=_bearer(provider.mint(kid="again")))
    assert provider.jwks_fetches - fetches <= 1


def _forged_hs256(provider: Provider) -> str:
    """HS256 signed with the provider's public key as the secret (the classic attack)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(d: bytes) -> str:
        return base64.urlsafe_b64encode(d).rstrip(b"=").decode()

    good = provider.mint()
    body = good.split(".")[1]
    head = b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    pub = json.dumps(provider.key.as_dict(private=False)).encode()
    sig = b64(hmac.new(pub, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def test_groups_claim_maps_to_a_group_grant(server_url: str, http: httpx.Client,
                                            provider: Provider, admin_token: str) -> None:
    with HttpClient(server_url, token=admin_token) as root:
        root.create_project("risk")
        root.create_model("fraud", project="risk")
        root.grant_role("ml", "viewer", project="risk", group=True)
    r = http.get("/api/v1/projects", headers=_bearer(provider.mint()))
    assert [p["name"] for p in r.json()["projects"]] == ["risk"], r.text
    outsider = provider.mint(sub="u-9", preferred_username="bob", groups=["other"])
    r = http.get("/api/v1/projects", headers=_bearer(outsider))
    assert r.json()["projects"] == []
    # The provider drops alice from the group: her next token sees nothing.
    r = http.get("/api/v1/projects", headers=_bearer(provider.mint(groups=[])))
    assert r.json()["projects"] == []


def test_browser_code_flow_sets_a_session(server_url: str, provider: Provider,
                                          admin_token: str) -> None:
    with httpx.Client(base_url=server_url, follow_redirects=True) as browser:
        r = browser.get("/auth/oidc/login", params={"next": "/api/v1/whoami"})
        assert r.status_code == 200, r.text
        assert r.json()["principal"]["name"] == "alice"
        assert r.url.path == "/api/v1/whoami"
        cookie = next(c for c in browser.cookies.jar if c.name == "modelyard_session")
        assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure
        # A mutating call on the cookie still needs JSON or the client header (CSRF).
        r = browser.post("/api/v1/projects", content=b"name=x",
                         headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 400
        assert browser.post("/auth/logout", headers=H).status_code == 200
        assert browser.get("/api/v1/whoami").status_code == 401


def test_disabled_user_session_stops_at_once(server_url: str, provider: Provider,
                                             admin_token: str) -> None:
    with httpx.Client(base_url=server_url, follow_redirects=True) as browser:
        assert browser.get("/auth/oidc/login").status_code in (200, 404)
        assert browser.get("/api/v1/whoami").json()["principal"]["name"] == "alice"
        with HttpClient(server_url, token=admin_token) as root:
            root.update_user("alice", disabled=True)
        assert browser.get("/api/v1/whoami").status_code == 401


def test_state_nonce_and_pkce_mismatches_are_refused(server_url: str,
                                                    provider: Provider) -> None:
    with httpx.Client(base_url=server_url) as browser:
        r = browser.get("/auth/oidc/login")
        authorize = httpx.get(r.headers["location"])
        back = httpx.URL(authorize.headers["location"])
        # state: another value than the one the login sealed in its cookie
        bad = back.copy_set_param("state", "forged")
        assert browser.get(bad.raw_path.decode()).status_code == 401
        # no login cookie at all (a callback URL sent to someone else's browser)
        with httpx.Client(base_url=server_url) as other:
            assert other.get(back.raw_path.decode()).status_code == 401
        assert "modelyard_session" not in browser.cookies
    with httpx.Client(base_url=server_url) as browser:
        provider.tamper_nonce = True
        r = browser.get("/auth/oidc/login")
        back = httpx.URL(httpx.get(r.headers["location"]).headers["location"])
        r = browser.get(back.raw_path.decode())
        assert r.status_code == 401 and "nonce" in r.json()["message"]
        provider.tamper_nonce = False
    with httpx.Client(base_url=server_url) as browser:
        # PKCE: the code is good but the verifier the server sends is not its own
        r = browser.get("/auth/oidc/login")
        location = httpx.URL(r.headers["location"])
        tampered = location.copy_set_param("code_challenge", "A" * 43)
        back = httpx.URL(httpx.get(str(tampered)).headers["location"])
        r = browser.get(back.raw_path.decode())
        assert r.status_code == 401 and "refused the authorization code" in r.json()["message"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_next_is_only_a_local_path(server_url: str, provider: Provider, target: str) -> None:
    with httpx.Client(base_url=server_url) as browser:
        r = browser.get("/auth/oidc/login", params={"next": target})
        back = httpx.URL(httpx.get(r.headers["location"]).headers["location"])
        r = browser.get(back.raw_path.decode())
        assert r.status_code == 302 and r.headers["location"] == "/"


def test_password_and_token_login_open_sessions(server_url: str, admin_token: str) -> None:
    with HttpClient(server_url, token=admin_token) as root:
        root.create_user("carol", password="carol-password")
    with httpx.Client(base_url=server_url) as browser:
        r = browser.post("/auth/login", json={"user": "carol", "password": "wrong-password"})
        assert r.status_code == 401
        r = browser.post("/auth/login", json={"user": "carol", "password": "carol-password"})
        assert r.status_code == 200 and r.json()["user"] == "carol"
        assert "samesite=lax" in r.headers["set-cookie"].lower()
        assert browser.get("/api/v1/whoami").json()["principal"]["name"] == "carol"
    with httpx.Client(base_url=server_url) as browser:
        assert browser.post("/auth/login", json={"token": admin_token}).status_code == 200
        assert browser.get("/api/v1/whoami").json()["principal"]["name"] == "root"
        # A form post (what another site could send) is refused before any login.
        r = browser.post("/auth/login", content=b"token=x",
                         headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 400


def test_trusted_proxy_header(http: httpx.Client) -> None:
    r = http.get("/api/v1/whoami", headers={"X-Forwarded-User": "dave"})
    assert r.status_code == 200 and r.json()["principal"]["name"] == "dave"


@pytest.mark.parametrize("proxies", ["10.0.0.0/8"])
def test_proxy_header_from_an_untrusted_peer_is_ignored(http: httpx.Client) -> None:
    r = http.get("/api/v1/whoami", headers={"X-Forwarded-User": "dave"})
    assert r.status_code == 401


def test_client_secret_never_in_bodies_or_logs(server_url: str, provider: Provider,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """The canary: the client secret, with every logger at DEBUG, through a good login,
    a refused one, a bad token, and a provider that went away mid-login."""
    caplog.set_level(logging.DEBUG)
    with httpx.Client(base_url=server_url, follow_redirects=True) as browser:
        bodies = [browser.get("/auth/oidc/login", params={"next": "/api/v1/whoami"}).text,
                  browser.get("/auth/oidc/callback?code=x&state=y").text,
                  browser.get("/api/v1/whoami", headers=_bearer(provider.mint(exp=1))).text]
        bodies += [str(browser.cookies.jar)]
    with httpx.Client(base_url=server_url) as browser:
        r = browser.get("/auth/oidc/login")
        back = httpx.URL(httpx.get(r.headers["location"]).headers["location"])
        provider.stop()
        r = browser.get(back.raw_path.decode())
        assert r.status_code == 503 and r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert not LEAKS.search(r.json()["message"]), r.text
        bodies.append(r.text)
    text = "\n".join(bodies) + caplog.text
    assert provider.client_secret not in text


def test_mlflow_client_with_a_jwt(server_url: str, provider: Provider, admin_token: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("mlflow")
    import mlflow

    from tests.access.test_mlflow_auth import _VARS, _flow

    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "true")
    with HttpClient(server_url, token=admin_token) as root:
        root.grant_role("ml", "maintainer", project="default", group=True)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", provider.mint())
    try:
        _flow(server_url, "with-jwt")
    finally:
        mlflow.set_tracking_uri(None)


def test_a_read_token_opens_a_read_only_session_and_events_name_it(
        server_url: str, admin_token: str, provider: Provider) -> None:
    with HttpClient(server_url, token=admin_token) as root:
        read = root.create_token("ro", scope="read").secret or ""
    with httpx.Client(base_url=server_url, headers=H) as browser:
        assert browser.post("/auth/login", json={"token": read}).status_code == 200
        assert browser.get("/api/v1/whoami").json()["principal"]["scope"] == "read"
        assert browser.post("/api/v1/projects", json={"name": "p"}).status_code == 403
    with httpx.Client(base_url=server_url, headers=H) as browser:
        assert browser.post("/auth/login", json={"token": admin_token}).status_code == 200
        assert browser.post("/api/v1/projects", json={"name": "p2"}).status_code in (200, 201)
    h = _bearer(provider.mint(jti="jwt-1"))
    assert httpx.get(server_url + "/api/v1/whoami", headers=h).json()["principal"][
        "token_id"] == "oidc:jwt-1"
    with HttpClient(server_url, token=admin_token) as root:
        events = root.list_events(max_results=1000).items
    made = next(e for e in events if e.entity_type == "project" and e.entity_id == "p2")
    assert str(made.actor_token or "").startswith("session:")


def test_ui_login_form_shows_sso_and_signs_in_through_the_same_check(
        server_url: str, admin_token: str) -> None:
    """With an OIDC issuer the login page offers the SSO button; its password form
    (form-encoded, with the page's form token) opens the same kind of session."""
    with HttpClient(server_url, token=admin_token) as root:
        root.create_user("dora", password="dora-password")
    with httpx.Client(base_url=server_url) as browser:
        r = browser.get("/login", params={"next": "/models"})
        assert r.status_code == 200 and 'id="sso"' in r.text
        assert 'href="/auth/oidc/login?next=/models"' in r.text
        token = browser.cookies["modelyard_csrf"]
        form = {"csrf_token": token, "username": "dora", "password": "wrong", "next": "/models"}
        r = browser.post("/login", data=form)
        assert r.status_code == 401 and "invalid credentials" in r.text
        assert "modelyard_session" not in browser.cookies
        r = browser.post("/login", data={**form, "csrf_token": "x" * 43,
                                         "password": "dora-password"})
        assert r.status_code == 403  # a forged form token
        r = browser.post("/login", data={**form, "password": "dora-password"})
        assert r.status_code == 303 and r.headers["location"] == "/models"
        assert "samesite=lax" in r.headers["set-cookie"].lower()
        assert browser.get("/api/v1/whoami").json()["principal"]["name"] == "dora"
    with HttpClient(server_url, token=admin_token) as root:
        failed = root.list_events(type="auth.login_failed", newest_first=True)
    assert any(e.entity_id == "dora" for e in failed.items)
