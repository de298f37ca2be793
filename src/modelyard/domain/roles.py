"""Roles and permissions.

Roles are ordered: ``viewer`` < ``editor`` < ``maintainer`` < ``admin``; each grants
what the ones below it grant.  A permission names the least role that holds it:

- READ (viewer): see a project's or a model's contents;
- WRITE (editor): register versions, log runs, set tags and descriptions;
- MANAGE (maintainer): move aliases and stages, delete versions, manage the model's grants;
- ADMIN (admin): users, others' tokens, gc, settings; everything.

A ``read``-scoped token holds READ at most, whatever its user's roles.
"""

from __future__ import annotations

from enum import Enum, IntEnum

from modelyard.errors import InvalidParameter


class Role(IntEnum):
    VIEWER = 1
    EDITOR = 2
    MAINTAINER = 3
    ADMIN = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Permission(Enum):
    READ = Role.VIEWER
    WRITE = Role.EDITOR
    MANAGE = Role.MAINTAINER
    ADMIN = Role.ADMIN

    @property
    def role(self) -> Role:
        return Role(self.value)


ROLE_NAMES = tuple(r.label for r in Role)


def parse_role(text: object) -> Role:
    if isinstance(text, str):
        for role in Role:
            if role.label == text.strip().lower():
                return role
    raise InvalidParameter(f"role must be one of {', '.join(ROLE_NAMES)}, not {text!r}")
