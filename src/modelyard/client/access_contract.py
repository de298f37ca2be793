"""The access operations of the client contract (users, tokens, grants, whoami);
:class:`~modelyard.client.contract.ClientOperations` includes them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from modelyard.domain.access_records import Grant, Token, User


class AccessOperations(ABC):
    @abstractmethod
    def whoami(self) -> dict[str, Any]: ...

    @abstractmethod
    def create_user(self, name: str, password: str | None = None, admin: bool = False,
                    kind: str = "user", groups: list[str] | None = None,
                    with_token: bool | None = None) -> User: ...

    @abstractmethod
    def list_users(self) -> list[User]: ...

    @abstractmethod
    def get_user(self, name: str) -> User: ...

    @abstractmethod
    def update_user(self, name: str, disabled: bool | None = None, admin: bool | None = None,
                    password: str | None = None, groups: list[str] | None = None) -> User: ...

    @abstractmethod
    def delete_user(self, name: str) -> None: ...

    @abstractmethod
    def create_token(self, name: str, user: str | None = None, expires: str | None = None,
                     scope: str = "write") -> Token:
        """A new token; ``Token.secret`` holds it, this once."""

    @abstractmethod
    def list_tokens(self, user: str | None = None, all_users: bool = False) -> list[Token]: ...

    @abstractmethod
    def revoke_token(self, token_id: str) -> Token: ...

    @abstractmethod
    def grant_role(self, subject: str, role: str, project: str | None = None,
                   model: str | None = None, group: bool = False,
                   experiment: str | None = None) -> Grant:
        """``role`` for a user or group on one of a project, a model or an experiment
        (by id)."""

    @abstractmethod
    def revoke_role(self, subject: str, project: str | None = None, model: str | None = None,
                    group: bool = False, experiment: str | None = None) -> None: ...

    @abstractmethod
    def list_grants(self, user: str | None = None, project: str | None = None,
                    model: str | None = None, experiment: str | None = None) -> list[Grant]: ...

    @abstractmethod
    def check_caller(self, authorization: str, model: str) -> None:
        """Whether the holder of ``authorization`` (an ``Authorization`` header value:
        ``Bearer <token>`` or ``Basic`` user and password or token) may read ``model``:
        Unauthenticated for a bad credential, NotFound when it may not read the model
        (what ``modelyard serve --require-token`` asks for each new caller)."""
