"""Users, tokens and the credentials clients send, over REST on a live server."""

from __future__ import annotations

import base64

import httpx
import pytest

from modelyard.client.http import HttpClient
from modelyard.errors import InvalidParameter, PermissionDenied, Unauthenticated


def _basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_open_until_the_first_admin_then_every_request_needs_a_credential(http) -> None:  # type: ignore[no-untyped-def]
    assert http.get("/api/v1/models").status_code == 200  # open: no users defined
    assert http.get("/api/v1/whoami").json()["principal"]["open"] is True
    resp = http.post("/api/v1/users", json={"name": "admin", "admin": True})
    assert resp.status_code == 201, resp.text
    token = resp.json()["user"]["token"]
    assert token.startswith("my_")

    resp = http.get("/api/v1/models")
    assert resp.status_code == 401
    assert resp.json()["error_code"] == "UNAUTHENTICATED"
    assert "Bearer" in resp.headers["WWW-Authenticate"]
    assert http.post("/api/v1/models", json={"name": "m"}).status_code == 401
    assert http.get("/health").status_code == 200  # public
    assert http.get("/version").status_code == 200

    me = http.get("/api/v1/whoami", headers=_bearer(token)).json()["principal"]
    assert me["name"] == "admin" and me["is_admin"] and not me["open"]
    assert http.post("/api/v1/models", json={"name": "m"},
                     headers=_bearer(token)).status_code == 201


def test_first_user_must_be_an_admin(services) -> None:  # type: ignore[no-untyped-def]
    from modelyard.domain.entities import ANONYMOUS

    with pytest.raises(InvalidParameter, match="admin"):
        services.access.create_user(ANONYMOUS, "alice")
    assert services.access.is_open()


def test_bearer_basic_password_and_basic_token(http, services, admin_token) -> None:  # type: ignore[no-untyped-def]
    with HttpClient(str(http.base_url), token=admin_token) as root:
        root.create_user("alice", password="correct horse battery")
        t = root.create_token("laptop", user="alice", expires="90d")
    assert t.secret and t.secret.startswith(f"my_{t.id}_")
    assert t.expires_at and t.expires_at > t.created_at

    for headers in (_bearer(t.secret), _basic("alice", "correct horse battery"),
                    _basic("alice", t.secret)):
        resp = http.get("/api/v1/whoami", headers=headers)
        assert resp.status_code == 200, resp.text
        assert resp.json()["principal"]["name"] == "alice"
    for headers in (_basic("alice", "wrong password"), _basic("root", t.secret),
                    _bearer(t.secret + "x"), _bearer("nonsense"),
                    {"Authorization": "Digest abc"}):
        resp = http.get("/api/v1/whoami", headers=headers)
        assert resp.status_code == 401, headers
        assert t.secret not in resp.text and "correct horse" not in resp.text


def test_only_a_hash_of_a_token_or_password_is_stored(services, admin_token) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from modelyard.domain.entities import ANONYMOUS  # noqa: F401

    with sa.create_engine(services.settings.database_url).connect() as conn:
        dump = repr([conn.execute(sa.text(f"SELECT * FROM {t}")).all()
                     for t in ("users", "api_tokens", "events")])
    secret = admin_token.split("_", 2)[2]
    assert secret not in dump and admin_token not in dump


def test_revoked_disabled_and_expired_credentials_stop_at_once(http, services, admin_token) -> None:  # type: ignore[no-untyped-def]
    with HttpClient(str(http.base_url), token=admin_token) as root:
        root.create_user("bob", password="bob-password-1")
        a = root.create_token("a", user="bob")
        b = root.create_token("b", user="bob")
        assert http.get("/api/v1/whoami", headers=_bearer(a.secret)).status_code == 200
        root.revoke_token(a.id)
        assert http.get("/api/v1/whoami", headers=_bearer(a.secret)).status_code == 401
        assert http.get("/api/v1/whoami", headers=_bearer(b.secret)).status_code == 200
        assert http.get("/api/v1/whoami", headers=_basic("bob", "bob-password-1")).status_code == 200
        root.update_user("bob", disabled=True)
        assert http.get("/api/v1/whoami", headers=_bearer(b.secret)).status_code == 401
        assert http.get("/api/v1/whoami",
                        headers=_basic("bob", "bob-password-1")).status_code == 401
        listed = {t.id: t for t in root.list_tokens(user="bob")}
        assert listed[a.id].revoked_at and not listed[b.id].revoked_at
        assert all(t.secret is None for t in listed.values())
        assert listed[b.id].last_used_at


def test_expired_token(services, admin_token) -> None:  # type: ignore[no-untyped-def]
    root = services.access.authenticate_token(admin_token)
    t = services.access.create_token(root, "short", expires="1s")
    assert services.access.authenticate_token(t.secret).name == "root"
    import time

    time.sleep(1.2)  # past the expiry, within the cache's 2 s: not held past its expiry
    with pytest.raises(Unauthenticated):
        services.access.authenticate_token(t.secret)


def test_read_token_reads_but_never_writes(http, admin_token) -> None:  # type: ignore[no-untyped-def]
    with HttpClient(str(http.base_url), token=admin_token) as root:
        t = root.create_token("ro", scope="read")
    assert http.get("/api/v1/models", headers=_bearer(t.secret)).status_code == 200
    resp = http.post("/api/v1/models", json={"name": "m"}, headers=_bearer(t.secret))
    assert resp.status_code == 403 and resp.json()["error_code"] == "PERMISSION_DENIED"


def test_users_and_others_tokens_are_for_admins(http, admin_token) -> None:  # type: ignore[no-untyped-def]
    url = str(http.base_url)
    with HttpClient(url, token=admin_token) as root:
        root.create_user("carol", password="carol-password")
        root.create_user("dave", password="dave-password")
        dave = root.create_token("d", user="dave")
        carol = root.create_token("c", user="carol")
    with HttpClient(url, token=carol.secret) as c:
        with pytest.raises(PermissionDenied):
            c.list_users()
        with pytest.raises(PermissionDenied):
            c.create_user("eve", password="eve-password")
        with pytest.raises(PermissionDenied):
            c.create_token("x", user="dave")
        with pytest.raises(Exception) as err:  # another's token: as if it did not exist
            c.revoke_token(dave.id)
        assert err.value.__class__.__name__ == "NotFound"
        own = c.create_token("own")
        assert [t.name for t in c.list_tokens()] == ["c", "own"]
        c.revoke_token(own.id)
        c.update_user("carol", password="carol-new-password")  # one's own password
        with pytest.raises(PermissionDenied):
            c.update_user("carol", admin=True)


def test_a_deleted_users_grants_do_not_pass_to_a_new_user_of_that_name(services, admin_token) -> None:  # type: ignore[no-untyped-def]
    root = services.access.authenticate_token(admin_token)
    services.access.create_user(root, "gina", password="gina-password")
    services.access.grant_role(root, "gina", "editor", project="default")
    services.access.delete_user(root, "gina")
    services.access.create_user(root, "gina", password="gina-password")
    assert services.access.list_grants(root, user="gina") == []


def test_failed_logins_are_rate_limited(http, admin_token) -> None:  # type: ignore[no-untyped-def]
    codes = [http.get("/api/v1/whoami", headers=_basic("root", f"guess-{i}")).status_code
             for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]
    resp = http.get("/api/v1/whoami", headers=_basic("root", "guess-x"))
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert resp.json()["error_code"] == "TOO_MANY_REQUESTS"


def test_every_access_change_is_an_audit_event_with_the_real_actor(http, services, admin_token) -> None:  # type: ignore[no-untyped-def]
    with HttpClient(str(http.base_url), token=admin_token) as root:
        root.create_user("frank", password="frank-password")
        t = root.create_token("f", user="frank")
        root.revoke_token(t.id)
        root.update_user("frank", disabled=True)
        root.delete_user("frank")
        root.create_model("audited")
    http.get("/api/v1/whoami", headers=_basic("frank", "nope-nope"))
    from modelyard.domain.entities import LOCAL_OWNER

    events = services.audit.list_events(LOCAL_OWNER, max_results=100).items
    types = [e.type for e in events]
    for wanted in ("user.created", "token.created", "token.revoked", "user.updated",
                   "user.deleted", "auth.login_failed", "model.created"):
        assert wanted in types, types
    root_id = services.access.authenticate_token(admin_token).id
    made = next(e for e in events if e.type == "model.created")
    assert made.actor == "root" and made.actor_id == root_id
    assert made.actor_token == admin_token.split("_")[1]
    assert made.actor_address == "127.0.0.1" and made.request_id
    failed = next(e for e in events if e.type == "auth.login_failed")
    assert failed.actor_address == "127.0.0.1"
    assert "nope-nope" not in repr(events)


def test_no_secret_in_error_bodies_or_logs(http, admin_token, caplog) -> None:  # type: ignore[no-untyped-def]
    canary_pw, canary_token = "CANARY-pw-1234", "my_0123456789abcdef_CANARYsecret"
    for headers in (_basic("root", canary_pw), _bearer(canary_token)):
        resp = http.get("/api/v1/models", headers=headers)
        assert resp.status_code == 401
        assert "CANARY" not in resp.text
    assert "CANARY" not in caplog.text


def test_httpx_without_credentials_after_users_exist_gets_401_everywhere(http, admin_token) -> None:  # type: ignore[no-untyped-def]
    for method, path in [("GET", "/api/v1/events"), ("POST", "/api/v1/admin/gc"),
                         ("GET", "/api/2.0/mlflow/registered-models/search"),
                         ("GET", "/api/2.0/mlflow/no-such-endpoint")]:
        resp = http.request(method, path, headers={"content-type": "application/json"},
                            content=b"{}" if method == "POST" else None)
        assert resp.status_code == 401, (method, path, resp.text)
    assert isinstance(http, httpx.Client)
