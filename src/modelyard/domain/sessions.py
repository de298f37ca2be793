"""Single sign-on in the domain: users known by an external identity, and browser
sessions.

- :meth:`SessionOps.external_login` turns an identity that an adapter has verified
  (an OIDC token's ``iss`` + ``sub``, or a trusted proxy's user header) into a
  principal.  The user is found by the identity, never by name; on first sight a user
  is created (not an admin, no password) under a free name derived from the hint, and
  the identity linked to it.  When the provider sends groups, the user's groups follow
  them, so a grant to a group applies.
- A session is a random secret (the cookie) stored as its sha256 with its user, its
  expiry and how it was opened.  Every request re-checks the user (cached for
  ``CACHE_SECONDS`` like tokens, and cleared at once in the process that disabled or
  deleted the user): a disabled or deleted user's sessions stop working.
"""

from __future__ import annotations

import re
import secrets

from modelyard.domain import access_events as aev
from modelyard.domain import events as ev
from modelyard.domain.access_records import SessionRecord, UserRecord
from modelyard.domain.authn import _principal
from modelyard.domain.entities import Principal
from modelyard.domain.grants import GrantOps
from modelyard.domain.secrets_hashing import sha256_hex
from modelyard.domain.users import user_event
from modelyard.errors import AlreadyExists, Conflict, InvalidParameter, Unauthenticated

SESSION_PREFIX = "mys_"
ATTEMPTS = 5
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def _name_from(hint: str) -> str:
    name = _UNSAFE.sub("-", hint).strip("-.")[:200]
    return name or "user"


class SessionOps(GrantOps):
    #: set when an SSO mode (OIDC, trusted proxy) is configured: the registry is never
    #: open then, even before the first user exists.
    external_auth: bool = False
    session_ttl_ms: int = 12 * 3600 * 1000

    def is_open(self) -> bool:
        return not self.external_auth and super().is_open()

    def external_login(self, issuer: str, subject: str, name_hint: str,
                       groups: list[str] | None, *, via: str, address: str = "") -> Principal:
        """The principal of a verified external identity (see the module docs)."""
        wanted = None if groups is None else tuple(sorted({_name_from(g) for g in groups if g}))
        key = "ext:" + sha256_hex(f"{issuer}\0{subject}\0{wanted}")
        cached = self._tokens.get(key)
        if isinstance(cached, Principal):
            return cached
        now = self.clock.now_ms()
        with self.store.read() as tx:
            uid = tx.identity.identity_user(issuer, subject)
            user = None if uid is None else tx.access.user_by_id(uid)
        if user is None or (wanted is not None and user.groups != wanted):
            user = self._link(issuer, subject, name_hint, wanted, via, address, now)
            self.changed()
        if user is None or user.disabled:
            raise Unauthenticated("this user is disabled")
        found = _principal(user)
        self._tokens.put(key, found)
        return found

    def _link(self, issuer: str, subject: str, name_hint: str,
              wanted: tuple[str, ...] | None, via: str, address: str,
              now: int) -> UserRecord | None:
        """Find or create the identity's user and set its groups.  Two first logins of
        one identity (or two new users wanting one name) may race: the loser's
        transaction fails on a unique key and is tried again, then sees the winner's."""
        for attempt in range(ATTEMPTS):
            try:
                with self.store.write() as tx:
                    uid = tx.identity.identity_user(issuer, subject)
                    if uid is None:
                        base = name = _name_from(name_hint)
                        n = 1
                        while tx.access.user(name) is not None:
                            n += 1
                            name = f"{base}-{n}"
                        uid = tx.access.insert_user(name, "user", False, None, now, via)
                        tx.identity.link_identity(issuer, subject, uid, now)
                        actor = Principal(name=name, address=address)
                        user_event(tx, now, actor,
                                   aev.UserCreated("user", False, list(wanted or ())), name, uid)
                    user = tx.access.user_by_id(uid)
                    if wanted is not None and user is not None and user.groups != wanted:
                        tx.access.set_groups(uid, list(wanted))
                        user = tx.access.user_by_id(uid)
                    return user
            except (AlreadyExists, Conflict):  # a unique key lost the race (name, identity)
                if attempt == ATTEMPTS - 1:
                    raise
        return None

    def login(self, *, user: str | None = None, password: str | None = None,
              token: str | None = None, address: str = "") -> tuple[Principal, str]:
        """Open a browser session from a password or an API token: the one credential
        check (rate limited like every login) behind every login form and route.
        Returns the principal and the session's secret."""
        if self.is_open():
            raise InvalidParameter("no users are defined: this registry needs no login")
        if isinstance(token, str) and token:
            return self._login(self.authenticate_token(token, address=address), "token")
        if isinstance(user, str) and isinstance(password, str) and user:
            who = self.authenticate_password(user, password, address=address)
            return self._login(who, "password")
        raise InvalidParameter("send a user and a password, or a token")

    def _login(self, who: Principal, via: str) -> tuple[Principal, str]:
        return who, self.open_session(who, via)

    def open_session(self, who: Principal, via: str) -> str:
        """A new session of an authenticated principal; its secret (the cookie value)
        is returned this once."""
        if who.id is None:
            raise Unauthenticated("authentication required")
        secret = SESSION_PREFIX + secrets.token_urlsafe(32)
        now = self.clock.now_ms()
        if who.scope == "read":  # a session opened with a read-only token stays read-only
            via += ":read"
        with self.store.write() as tx:
            tx.identity.delete_expired_sessions(now)
            tx.identity.insert_session(SessionRecord(
                id_hash=sha256_hex(secret), user_id=int(who.id), via=via, created_at=now,
                expires_at=now + self.session_ttl_ms))
            ev.record(tx, now, who, aev.Login("session:" + via), "auth", who.name, "")
        return secret

    def authenticate_session(self, secret: str, *, address: str = "") -> Principal:
        """The principal of a session cookie; Unauthenticated when it is unknown,
        expired, ended, or its user disabled or deleted."""
        if not secret.startswith(SESSION_PREFIX):
            raise Unauthenticated("invalid session; log in again")
        digest = sha256_hex(secret)
        cached = self._tokens.get("s:" + digest)
        if isinstance(cached, Principal):
            return cached
        self.limiter.check("addr:" + address)
        with self.store.read() as tx:
            record = tx.identity.session(digest)
            user = None if record is None else tx.access.user_by_id(record.user_id)
        if (record is None or user is None or user.disabled
                or record.expires_at <= self.clock.now_ms()):
            raise self._failed("session", address, "session", "unknown, expired or disabled",
                               count_user=False)
        # The audit log names the session by a prefix of its hash (never the secret).
        found = _principal(user, "session:" + digest[:16],
                           "read" if record.via.endswith(":read") else "write")
        self._tokens.put("s:" + digest, found)
        return found

    def end_session(self, secret: str) -> None:
        """Log out: the session stops working (in every process at once)."""
        with self.store.write() as tx:
            tx.identity.delete_session(sha256_hex(secret))
        self.changed()
