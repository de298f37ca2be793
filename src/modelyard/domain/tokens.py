"""API tokens: ``my_<id>_<secret>``, shown once, stored as the sha256 of the whole
token, with a name, a scope (``read`` or ``write``), an expiry and a revocation time.

Users create and revoke their own tokens; tokens of others are for admins.  The id
is what ``tokens list`` shows and ``tokens revoke`` takes, so that a leaked token can
be found and revoked from the token itself."""

from __future__ import annotations

import re

from modelyard.domain import access_events as aev
from modelyard.domain import events as ev
from modelyard.domain.access_records import Token, UserRecord
from modelyard.domain.entities import Principal
from modelyard.domain.ports import Transaction
from modelyard.domain.secrets_hashing import sha256_hex, split_token
from modelyard.domain.users import UserOps, find_user, insert_token, token_entity
from modelyard.domain.validation import check_name
from modelyard.errors import InvalidParameter, NotFound

SCOPES = ("read", "write")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
MAX_EXPIRY_DAYS = 3650


def parse_duration(text: str) -> int:
    """``90d``, ``12h``, ``2w``, ``1y``: milliseconds."""
    m = re.fullmatch(r"\s*(\d{1,6})\s*([smhdwy])\s*", text or "")
    if not m:
        raise InvalidParameter(f"expiry must look like 90d, 12h or 1y, not {text!r}")
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0 or seconds > MAX_EXPIRY_DAYS * 86400:
        raise InvalidParameter(f"expiry must be between 1s and {MAX_EXPIRY_DAYS} days")
    return seconds * 1000


class TokenOps(UserOps):
    def _subject(self, tx: Transaction, actor: Principal, user: str | None) -> UserRecord:
        """The user whose tokens are meant: oneself unless ``user`` names another."""
        name = user or actor.name
        if actor.id is None and user is None and not tx.access.count_users():
            raise InvalidParameter(
                "no user is defined yet (the registry is open and accepts any credential); "
                "a token belongs to a user: create the first one with "
                "`modelyard --uri <database> users create NAME --admin`, which prints its token")
        if actor.id is None or name != actor.name:
            self.require_admin(actor)
        return find_user(tx, name)

    def create_token(self, actor: Principal, name: str, *, user: str | None = None,
                     expires: str | None = None, scope: str = "write") -> Token:
        """A new token; its secret is in the answer, and nowhere else ever again."""
        check_name(name, "token name")
        if scope not in SCOPES:
            raise InvalidParameter("scope must be 'read' or 'write'")
        ttl = parse_duration(expires) if expires else None
        if actor.scope == "read" and scope == "write":
            raise InvalidParameter("a read-only token cannot create a write token")
        with self.store.write() as tx:
            owner = self._subject(tx, actor, user)
            now = self.clock.now_ms()
            return insert_token(tx, now, actor, owner, name, scope,
                                None if ttl is None else now + ttl)

    def list_tokens(self, actor: Principal, user: str | None = None, *,
                    all_users: bool = False) -> list[Token]:
        with self.store.read() as tx:
            if all_users:
                self.require_admin(actor)
                names = {u.id: u.name for u in tx.access.list_users()}
                return [token_entity(t, names.get(t.user_id, "")) for t in tx.access.list_tokens(None)]
            owner = self._subject(tx, actor, user)
            return [token_entity(t, owner.name) for t in tx.access.list_tokens(owner.id)]

    def revoke_token(self, actor: Principal, token_id: str) -> Token:
        """Revoke by id (or by the token itself, which is hashed, never stored)."""
        parts = split_token(token_id)
        if parts is not None:
            token_id = parts[0]
        with self.store.write() as tx:
            record = tx.access.token(token_id)
            owner = None if record is None else tx.access.user_by_id(record.user_id)
            if record is None or owner is None:
                raise NotFound(f"token {token_id!r} does not exist")
            mine = actor.id is not None and owner.name == actor.name
            if not (mine or actor.is_admin or self.is_open()):
                # Others' tokens are invisible: the same answer as for no such token.
                raise NotFound(f"token {token_id!r} does not exist")
            now = self.clock.now_ms()
            tx.access.revoke_token(token_id, now)
            ev.record(tx, now, actor, aev.TokenRevoked(owner.name, record.name),
                      "token", token_id, "")
            record = tx.access.token(token_id) or record
        self.changed()
        return token_entity(record, owner.name)


__all__ = ["SCOPES", "TokenOps", "parse_duration", "sha256_hex"]
