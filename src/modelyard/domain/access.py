"""AccessService: users, service accounts, tokens, authentication, role grants and the
permission check every other service makes (:meth:`require`).

Composed of one part per concern: :mod:`~modelyard.domain.users`,
:mod:`~modelyard.domain.tokens`, :mod:`~modelyard.domain.authn`,
:mod:`~modelyard.domain.permissions`, :mod:`~modelyard.domain.grants` and
:mod:`~modelyard.domain.sessions` (single sign-on, browser sessions); roles and
permissions are in :mod:`~modelyard.domain.roles`.
"""

from __future__ import annotations

from typing import Any

from modelyard.domain.access_base import AccessBase
from modelyard.domain.authn import FailureLimiter
from modelyard.domain.entities import Principal
from modelyard.domain.permissions import AUTHENTICATED, Visibility
from modelyard.domain.ports import Clock, MetadataStore
from modelyard.domain.roles import Permission, Role
from modelyard.domain.sessions import SessionOps


class AccessService(SessionOps):
    def __init__(self, store: MetadataStore, clock: Clock | None = None) -> None:
        AccessBase.__init__(self, store, clock)
        self.limiter = FailureLimiter(self.store, self.clock)

    def whoami(self, actor: Principal) -> dict[str, Any]:
        """Who the actor is, as the registry sees it (``open``: no user is defined)."""
        return {"name": actor.name, "is_admin": actor.is_admin or self.is_open(),
                "groups": list(actor.groups), "token_id": actor.token_id,
                "scope": actor.scope, "open": self.is_open()}


__all__ = ["AUTHENTICATED", "AccessService", "Permission", "Role", "Visibility"]
