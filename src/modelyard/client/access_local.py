"""The access operations in process (the domain's access service)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from modelyard.client.access_contract import AccessOperations
from modelyard.domain.access_records import Grant, Token, User
from modelyard.domain.entities import Principal
from modelyard.errors import Unauthenticated
from modelyard.services import Services


class LocalAccessMixin(AccessOperations):
    services: Services
    who: Principal

    def whoami(self) -> dict[str, Any]:
        return self.services.access.whoami(self.who)

    def create_user(self, name: str, password: str | None = None, admin: bool = False,
                    kind: str = "user", groups: list[str] | None = None,
                    with_token: bool | None = None) -> User:
        return self.services.access.create_user(self.who, name, password=password,
                                                is_admin=admin, kind=kind, groups=groups,
                                                with_token=with_token)

    def list_users(self) -> list[User]:
        return self.services.access.list_users(self.who)

    def get_user(self, name: str) -> User:
        return self.services.access.get_user(self.who, name)

    def update_user(self, name: str, disabled: bool | None = None, admin: bool | None = None,
                    password: str | None = None, groups: list[str] | None = None) -> User:
        return self.services.access.update_user(self.who, name, disabled=disabled,
                                                is_admin=admin, password=password, groups=groups)

    def delete_user(self, name: str) -> None:
        self.services.access.delete_user(self.who, name)

    def create_token(self, name: str, user: str | None = None, expires: str | None = None,
                     scope: str = "write") -> Token:
        return self.services.access.create_token(self.who, name, user=user, expires=expires,
                                                 scope=scope)

    def list_tokens(self, user: str | None = None, all_users: bool = False) -> list[Token]:
        return self.services.access.list_tokens(self.who, user, all_users=all_users)

    def revoke_token(self, token_id: str) -> Token:
        return self.services.access.revoke_token(self.who, token_id)

    def grant_role(self, subject: str, role: str, project: str | None = None,
                   model: str | None = None, group: bool = False,
                   experiment: str | None = None) -> Grant:
        return self.services.access.grant_role(self.who, subject, role, project=project,
                                               model=model, experiment=experiment,
                                               group=group)

    def revoke_role(self, subject: str, project: str | None = None, model: str | None = None,
                    group: bool = False, experiment: str | None = None) -> None:
        self.services.access.revoke_role(self.who, subject, project=project, model=model,
                                         experiment=experiment, group=group)

    def list_grants(self, user: str | None = None, project: str | None = None,
                    model: str | None = None, experiment: str | None = None) -> list[Grant]:
        return self.services.access.list_grants(self.who, user=user, project=project,
                                                model=model, experiment=experiment)

    def check_caller(self, authorization: str, model: str) -> None:
        access = self.services.access
        if not access.is_open():
            scheme, _, value = authorization.partition(" ")
            value = value.strip()
            if scheme.lower() == "bearer" and value:
                caller = access.authenticate_token(value)
            elif scheme.lower() == "basic" and value:
                user, password = _basic(value)
                caller = access.authenticate_password(user, password)
            else:
                raise Unauthenticated("unsupported Authorization scheme: use Bearer or Basic")
            self.services.registry.get_model(caller, model)


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthenticated("malformed Basic credentials") from None
    user, sep, password = decoded.partition(":")
    if not sep or not user:
        raise Unauthenticated("malformed Basic credentials")
    return user, password
