"""Authentication: a token (bearer, or the password of HTTP Basic) or a user and
password (HTTP Basic) becomes a :class:`Principal`.

- Tokens are looked up by id and compared by the sha256 of the whole token in
  constant time; a verified token is cached for a couple of seconds keyed by that hash.
- Passwords are verified with argon2 once, then cached for a minute keyed by a fast
  hash of user and password, and only while the user's credentials have not changed;
  no request hashes a password twice in that time.
- Failed attempts are counted per user and per client address; past ``MAX_FAILURES``
  in ``WINDOW_SECONDS`` the next attempts get 429 with ``Retry-After``.  The count is
  in the metadata store, shared by every server process.
"""

from __future__ import annotations

from dataclasses import replace

from modelyard.domain import access_events as aev
from modelyard.domain import events as ev
from modelyard.domain.access_records import UserRecord
from modelyard.domain.entities import Principal
from modelyard.domain.ports import Clock, MetadataStore
from modelyard.domain.secrets_hashing import same, sha256_hex, split_token, verify_password
from modelyard.domain.tokens import TokenOps
from modelyard.errors import RateLimited, Unauthenticated

MAX_FAILURES = 10
WINDOW_SECONDS = 60.0
TOUCH_EVERY_MS = 60_000


class FailureLimiter:
    """Failures per key (a user name, an address) in a sliding window, kept in the
    metadata store so that every server process counts the same failures: an attacker
    spreading guesses over the processes behind a load balancer gets no more tries.

    The check is one indexed read, made only when a credential is not in the cache of
    verified ones (a hit never reaches it); a failure is one insert, and rows older
    than the window are pruned now and then by whoever records a failure."""

    def __init__(self, store: MetadataStore, clock: Clock, limit: int = MAX_FAILURES,
                 window: float = WINDOW_SECONDS) -> None:
        self.store, self.clock = store, clock
        self.limit, self.window_ms = limit, int(window * 1000)
        self._pruned = 0

    def check(self, *keys: str) -> None:
        now = self.clock.now_ms()
        with self.store.read() as tx:
            found = tx.access.recent_failures(list(keys), now - self.window_ms)
        for count, oldest in found.values():
            if count >= self.limit:
                wait = max(1, (oldest + self.window_ms - now) // 1000 + 1)
                raise RateLimited("too many failed logins; retry later", retry_after=wait)

    def fail(self, *keys: str) -> None:
        now = self.clock.now_ms()
        with self.store.write() as tx:
            tx.access.record_failures(list(keys), now)
            if now - self._pruned > self.window_ms:
                self._pruned = now
                tx.access.prune_failures(now - self.window_ms)


def _principal(user: UserRecord, token_id: str | None = None, scope: str = "write") -> Principal:
    return Principal(name=user.name, is_admin=user.is_admin, id=str(user.id),
                     groups=user.groups, token_id=token_id, scope=scope)


class AuthnOps(TokenOps):
    limiter: FailureLimiter

    def _failed(self, who: str, address: str, method: str, reason: str, *,
                count_user: bool = True) -> Unauthenticated:
        self.limiter.fail(*(["user:" + who] if count_user else []), "addr:" + address)
        with self.store.write() as tx:
            ev.record(tx, self.clock.now_ms(), Principal(name=who, address=address),
                      aev.LoginFailed(method, reason), "auth", who, "")
        return Unauthenticated("invalid credentials")

    def authenticate_token(self, token: str, *, address: str = "") -> Principal:
        """The principal of a token; Unauthenticated if it is unknown, revoked, expired,
        or its user disabled (the same message for each)."""
        parts = split_token(token)
        if parts is None:
            self.limiter.check("addr:" + address)
            raise self._failed("token", address, "token", "malformed", count_user=False)
        token_id, digest = parts
        cached = self._tokens.get(digest)
        if isinstance(cached, Principal):
            return cached
        self.limiter.check("user:" + token_id, "addr:" + address)
        now = self.clock.now_ms()
        with self.store.read() as tx:
            record = tx.access.token(token_id)
            user = None if record is None else tx.access.user_by_id(record.user_id)
        if record is None or user is None or not same(record.secret_hash, digest):
            raise self._failed(token_id, address, "token", "unknown")
        if record.revoked_at is not None or user.disabled or (
                record.expires_at is not None and record.expires_at <= now):
            raise self._failed(user.name, address, "token", "revoked, expired or disabled")
        if record.last_used_at is None or record.last_used_at < now - TOUCH_EVERY_MS:
            with self.store.write() as tx:
                tx.access.touch_token(token_id, now)
        found = _principal(user, token_id, record.scope)
        # Not held past the token's expiry (an expired token is refused at once).
        self._tokens.put(digest, found, None if record.expires_at is None
                         else (record.expires_at - now) / 1000)
        return found

    def authenticate_password(self, name: str, password: str, *, address: str = "") -> Principal:
        """HTTP Basic: the password may be the user's password or one of its tokens."""
        if split_token(password) is not None:
            found = self.authenticate_token(password, address=address)
            if found.name != name:
                raise self._failed(name, address, "basic", "token of another user")
            return found
        key = sha256_hex(f"{name}\0{password}")
        recent = self._tokens.get("pw:" + key)
        if isinstance(recent, Principal):
            return recent
        with self.store.read() as tx:
            user = tx.access.user(name)
        cached = self._passwords.get(key)
        if (cached is not None and user is not None and cached == (user.id, user.changed_at)
                and not user.disabled):
            self._tokens.put("pw:" + key, _principal(user))
            return _principal(user)
        self.limiter.check("user:" + name, "addr:" + address)
        if user is None or user.disabled or not verify_password(user.password_hash, password):
            raise self._failed(name, address, "basic", "bad user or password")
        self._passwords.put(key, (user.id, user.changed_at))
        self._tokens.put("pw:" + key, _principal(user))
        with self.store.write() as tx:
            ev.record(tx, self.clock.now_ms(), replace(_principal(user), address=address),
                      aev.Login("password"), "auth", name, "")
        return _principal(user)
