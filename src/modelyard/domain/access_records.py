"""Frozen records and wire entities of access control (users, tokens, role grants)."""

from __future__ import annotations

from dataclasses import dataclass, field

from modelyard.domain.entities import _Wire


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    kind: str  # user | service
    is_admin: bool
    disabled: bool
    password_hash: str | None
    created_at: int
    created_by: str
    changed_at: int
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenRecord:
    id: str
    user_id: int
    name: str
    secret_hash: str
    scope: str  # read | write
    created_at: int
    expires_at: int | None = None
    revoked_at: int | None = None
    last_used_at: int | None = None


@dataclass(frozen=True)
class GrantRecord:
    """A role binding; ``scope_name`` is the project's or the model's name."""

    subject_kind: str  # user | group | authenticated
    subject: str
    role: str
    scope_kind: str  # project | model | experiment
    scope_id: int
    scope_name: str = ""
    created_at: int = 0
    created_by: str = ""


@dataclass(frozen=True)
class User(_Wire):
    name: str
    kind: str = "user"
    is_admin: bool = False
    disabled: bool = False
    groups: list[str] = field(default_factory=list)
    created_at: int = 0
    created_by: str = ""
    token: str | None = None  # a token created with the user, shown this once


@dataclass(frozen=True)
class Token(_Wire):
    """A token as listed: never its secret (``secret`` is set once, on creation)."""

    id: str
    user: str
    name: str
    scope: str = "write"
    created_at: int = 0
    expires_at: int | None = None
    revoked_at: int | None = None
    last_used_at: int | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Grant(_Wire):
    subject: str
    subject_kind: str
    role: str
    project: str | None = None
    model: str | None = None
    created_at: int = 0
    created_by: str = ""
    experiment: str | None = None  # the experiment's id


def user_entity(r: UserRecord) -> User:
    return User(name=r.name, kind=r.kind, is_admin=r.is_admin, disabled=r.disabled,
                groups=list(r.groups), created_at=r.created_at, created_by=r.created_by)


def grant_entity(r: GrantRecord) -> Grant:
    where = ({"project": r.scope_name} if r.scope_kind == "project" else
             {"experiment": str(r.scope_id)} if r.scope_kind == "experiment" else
             {"model": r.scope_name})
    return Grant(subject=r.subject, subject_kind=r.subject_kind, role=r.role,
                 created_at=r.created_at, created_by=r.created_by, **where)


@dataclass(frozen=True)
class Readable:
    """What a restricted actor may read, as the store filters it in the query itself (so
    that pages are full and counts tell nothing): the models of these projects, these
    models, and the events of either (by project name or model id), except the events
    of ``hidden_entity_types``."""

    projects: frozenset[int] = frozenset()
    models: frozenset[int] = frozenset()
    project_names: frozenset[str] = frozenset()
    hidden_entity_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SessionRecord:
    """A browser session: the sha256 of its secret, never the secret."""

    id_hash: str
    user_id: int
    via: str  # password | token | oidc | proxy
    created_at: int
    expires_at: int
