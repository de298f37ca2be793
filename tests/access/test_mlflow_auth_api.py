"""MLflow's basic-auth REST API (what admin scripts of ``mlflow server --app-name
basic-auth`` call), mapped onto users and roles."""

from __future__ import annotations

import base64

import httpx

from modelyard.client.http import HttpClient

P = "/api/2.0/mlflow"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_users_and_registered_model_permissions(server_url: str, admin_token: str) -> None:
    admin = {"Authorization": f"Bearer {admin_token}"}
    with HttpClient(server_url, token=admin_token) as root:
        root.create_model("fraud")
    with httpx.Client(base_url=server_url) as h:
        resp = h.post(P + "/users/create", json={"username": "ana", "password": "ana-password"},
                      headers=admin)
        assert resp.status_code == 200, resp.text
        user = resp.json()["user"]
        assert user["username"] == "ana" and user["is_admin"] is False and user["id"] > 0
        assert h.get(P + "/users/get", params={"username": "ana"},
                     headers=_basic("ana", "ana-password")).json()["user"] == user
        # ana sees nothing yet: the model is invisible
        assert h.get(P + "/registered-models/get", params={"name": "fraud"},
                     headers=_basic("ana", "ana-password")).status_code == 404
        resp = h.post(P + "/registered-models/permissions/create",
                      json={"name": "fraud", "username": "ana", "permission": "READ"},
                      headers=admin)
        assert resp.json()["registered_model_permission"]["permission"] == "READ"
        assert h.get(P + "/registered-models/get", params={"name": "fraud"},
                     headers=_basic("ana", "ana-password")).status_code == 200
        tag = {"name": "fraud", "key": "k", "value": "v"}
        assert h.post(P + "/registered-models/set-tag", json=tag,
                      headers=_basic("ana", "ana-password")).status_code == 403
        h.patch(P + "/registered-models/permissions/update",
                json={"name": "fraud", "username": "ana", "permission": "EDIT"}, headers=admin)
        got = h.get(P + "/registered-models/permissions/get",
                    params={"name": "fraud", "username": "ana"}, headers=admin).json()
        assert got["registered_model_permission"]["permission"] == "EDIT"
        assert h.post(P + "/registered-models/set-tag", json=tag,
                      headers=_basic("ana", "ana-password")).status_code == 200
        assert h.patch(P + "/users/update-password",
                       json={"username": "ana", "password": "ana-password-2"},
                       headers=_basic("ana", "ana-password")).status_code == 200
        assert h.get(P + "/users/get", params={"username": "ana"},
                     headers=_basic("ana", "ana-password")).status_code == 401
        assert h.patch(P + "/users/update-admin", json={"username": "ana", "is_admin": True},
                       headers=_basic("ana", "ana-password-2")).status_code == 403
        assert h.patch(P + "/users/update-admin", json={"username": "ana", "is_admin": True},
                       headers=admin).status_code == 200
        h.request("DELETE", P + "/registered-models/permissions/delete",
                  json={"name": "fraud", "username": "ana"}, headers=admin)
        assert h.get(P + "/registered-models/permissions/get",
                     params={"name": "fraud", "username": "ana"},
                     headers=admin).status_code == 404
        assert h.request("DELETE", P + "/users/delete", json={"username": "ana"},
                         headers=admin).status_code == 200
        assert h.get(P + "/users/get", params={"username": "ana"},
                     headers=admin).status_code == 404
