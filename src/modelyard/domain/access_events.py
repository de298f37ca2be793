"""The events of access control: users, tokens, grants, logins.  Written with
:func:`modelyard.domain.events.record`, like every other event, in the transaction of
the change; their entity is the user (``user``), the token (``token``, by id) or the
grant (``grant``, ``<subject>:<scope kind>:<scope name>``).  Only admins see them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from modelyard.domain.events import Payload


class AccessEventType(StrEnum):
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_DELETED = "user.deleted"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    GRANT_ADDED = "grant.added"
    GRANT_REVOKED = "grant.revoked"
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"


ACCESS_ENTITY_TYPES = frozenset({"user", "token", "grant", "auth"})
ACCESS_PAYLOADS: dict[AccessEventType, type[Payload]] = {}
P = TypeVar("P", bound=Payload)
A = AccessEventType


def _payload(event_type: AccessEventType) -> Callable[[type[P]], type[P]]:
    def register(cls: type[P]) -> type[P]:
        cls.type = event_type
        ACCESS_PAYLOADS[event_type] = cls
        return cls
    return register


@_payload(A.USER_CREATED)
@dataclass(frozen=True, slots=True)
class UserCreated(Payload):
    kind: str
    is_admin: bool
    groups: list[str]


@_payload(A.USER_UPDATED)
@dataclass(frozen=True, slots=True)
class UserUpdated(Payload):
    """What changed; a password change says so, never the password."""

    changes: dict[str, object]


@_payload(A.USER_DELETED)
@dataclass(frozen=True, slots=True)
class UserDeleted(Payload):
    pass


@_payload(A.TOKEN_CREATED)
@dataclass(frozen=True, slots=True)
class TokenCreated(Payload):
    user: str
    name: str
    scope: str
    expires_at: int | None


@_payload(A.TOKEN_REVOKED)
@dataclass(frozen=True, slots=True)
class TokenRevoked(Payload):
    user: str
    name: str


@_payload(A.GRANT_ADDED)
@dataclass(frozen=True, slots=True)
class GrantAdded(Payload):
    subject: str
    subject_kind: str
    role: str
    scope_kind: str
    scope: str


@_payload(A.GRANT_REVOKED)
@dataclass(frozen=True, slots=True)
class GrantRevoked(Payload):
    subject: str
    subject_kind: str
    scope_kind: str
    scope: str


@_payload(A.LOGIN)
@dataclass(frozen=True, slots=True)
class Login(Payload):
    method: str


@_payload(A.LOGIN_FAILED)
@dataclass(frozen=True, slots=True)
class LoginFailed(Payload):
    method: str
    reason: str
