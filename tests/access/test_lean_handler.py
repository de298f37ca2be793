"""The MLflow routes' lean handler (server/mlflow_compat/handler.py) runs what FastAPI's
ran, in the same order: the app's authentication and the route's rule before the
request's fields are read, then the endpoint; on the ``/api/`` paths and their
``/ajax-api/`` mirrors alike."""

from __future__ import annotations

import httpx
import pytest

CREATE = "/api/2.0/mlflow/registered-models/create"
GET = "/api/2.0/mlflow/registered-models/get"
BAD_JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("prefix", ["/api/", "/ajax-api/"])
def test_credential_checked_before_the_body_is_read(app, server_url: str,  # type: ignore[no-untyped-def]
                                                   admin_token: str, prefix: str) -> None:
    path = prefix + CREATE[len("/api/"):]
    with httpx.Client(base_url=server_url) as http:
        for _ in range(2):
            refused = http.post(path, content=b"{not json", headers=BAD_JSON)
            assert refused.status_code == 401, refused.text
            assert refused.json()["error_code"] == "UNAUTHENTICATED"
        auth = {"Authorization": f"Bearer {admin_token}", **BAD_JSON}
        malformed = http.post(path, content=b"{not json", headers=auth)
        assert malformed.status_code == 400, malformed.text
        assert malformed.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_rule_checked_before_the_body_is_read(app, server_url: str,  # type: ignore[no-untyped-def]
                                             services, admin_token: str) -> None:
    root = services.access.authenticate_token(admin_token)
    reader = services.access.create_token(root, "reader", scope="read").secret
    headers = {"Authorization": f"Bearer {reader}", **BAD_JSON}
    with httpx.Client(base_url=server_url) as http:
        write = http.post(CREATE, content=b"{not json", headers=headers)
        assert write.status_code == 403, write.text
        assert write.json()["error_code"] == "PERMISSION_DENIED"
        # The same token reads: the rule of a GET lets it through to the endpoint.
        missing = http.get(GET, params={"name": "none-such"},
                           headers={"Authorization": f"Bearer {reader}"})
        assert missing.status_code == 404, missing.text
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_answers_as_before(app, server_url: str, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server_url, headers=auth) as http:
        made = http.post(CREATE, json={"name": "lean-ü", "tags": [
            {"key": "b", "value": "2"}, {"key": "a", "value": "1"}]})
        assert made.status_code == 200, made.text
        assert made.headers["content-type"] == "application/json"
        assert "x-request-id" in made.headers
        got = http.get(GET, params={"name": "lean-ü"}).json()["registered_model"]
        assert got["name"] == "lean-ü"
        assert got["tags"] == [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
        missing = http.get(GET, params={})
        assert missing.status_code == 400
        assert missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
