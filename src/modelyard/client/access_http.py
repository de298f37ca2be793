"""The access operations over REST (``/api/v1/users``, ``/tokens``, ``/grants``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from modelyard.client.access_contract import AccessOperations
from modelyard.domain.access_records import Grant, Token, User
from modelyard.errors import Unauthenticated


def _q(segment: str) -> str:
    return quote(str(segment), safe="")


class HttpAccessMixin(AccessOperations):
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError  # the transport's

    def _get(self, path: str, **params: Any) -> Any:
        raise NotImplementedError  # the transport's

    def whoami(self) -> dict[str, Any]:
        found: dict[str, Any] = self._get("/whoami")["principal"]
        return found

    def create_user(self, name: str, password: str | None = None, admin: bool = False,
                    kind: str = "user", groups: list[str] | None = None,
                    with_token: bool | None = None) -> User:
        body = {"name": name, "password": password, "admin": admin, "kind": kind,
                "groups": groups or [], "with_token": with_token}
        return User.from_dict(self._request("POST", "/users", json=body)["user"])

    def list_users(self) -> list[User]:
        return [User.from_dict(u) for u in self._get("/users")["users"]]

    def get_user(self, name: str) -> User:
        return User.from_dict(self._get(f"/users/{_q(name)}")["user"])

    def update_user(self, name: str, disabled: bool | None = None, admin: bool | None = None,
                    password: str | None = None, groups: list[str] | None = None) -> User:
        body = {"disabled": disabled, "admin": admin, "password": password, "groups": groups}
        return User.from_dict(self._request("PATCH", f"/users/{_q(name)}", json=body)["user"])

    def delete_user(self, name: str) -> None:
        self._request("DELETE", f"/users/{_q(name)}")

    def create_token(self, name: str, user: str | None = None, expires: str | None = None,
                     scope: str = "write") -> Token:
        body = {"name": name, "user": user, "expires": expires, "scope": scope}
        return Token.from_dict(self._request("POST", "/tokens", json=body)["token"])

    def list_tokens(self, user: str | None = None, all_users: bool = False) -> list[Token]:
        found = self._get("/tokens", user=user, all=all_users or None)["tokens"]
        return [Token.from_dict(t) for t in found]

    def revoke_token(self, token_id: str) -> Token:
        return Token.from_dict(self._request("DELETE", f"/tokens/{_q(token_id)}")["token"])

    def grant_role(self, subject: str, role: str, project: str | None = None,
                   model: str | None = None, group: bool = False,
                   experiment: str | None = None) -> Grant:
        body = {"subject": subject, "role": role, "project": project, "model": model,
                "group": group, "experiment": experiment}
        return Grant.from_dict(self._request("POST", "/grants", json=body)["grant"])

    def revoke_role(self, subject: str, project: str | None = None, model: str | None = None,
                    group: bool = False, experiment: str | None = None) -> None:
        params = {k: v for k, v in (("subject", subject), ("project", project),
                                    ("model", model), ("group", group or None),
                                    ("experiment", experiment)) if v is not None}
        self._request("DELETE", "/grants", params=params)

    def list_grants(self, user: str | None = None, project: str | None = None,
                    model: str | None = None, experiment: str | None = None) -> list[Grant]:
        found = self._get("/grants", user=user, project=project, model=model,
                          experiment=experiment)["grants"]
        return [Grant.from_dict(g) for g in found]

    def check_caller(self, authorization: str, model: str) -> None:
        if not authorization.isascii() or not authorization.isprintable():
            raise Unauthenticated("malformed Authorization header")
        self._request("GET", f"/models/{_q(model)}", headers={"Authorization": authorization})
