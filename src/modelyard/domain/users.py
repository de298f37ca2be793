"""Users and service accounts: create, list, disable, enable, delete, change password
or admin flag, set groups.  Admin only, except the first user of an open registry
(who must be an admin: it ends the open mode)."""

from __future__ import annotations

from dataclasses import replace

from modelyard.domain import access_events as aev
from modelyard.domain import events as ev
from modelyard.domain.access_base import AccessBase
from modelyard.domain.access_records import Token, TokenRecord, User, UserRecord, user_entity
from modelyard.domain.entities import Principal
from modelyard.domain.ports import Transaction
from modelyard.domain.secrets_hashing import hash_password, new_token, split_token
from modelyard.domain.validation import check_name
from modelyard.errors import AlreadyExists, InvalidParameter, NotFound, PermissionDenied

MIN_PASSWORD = 8


def find_user(tx: Transaction, name: str) -> UserRecord:
    user = tx.access.user(name)
    if user is None:
        raise NotFound(f"user {name!r} does not exist")
    return user


def user_event(tx: Transaction, now: int, actor: Principal, payload: ev.Payload,
               user: UserRecord | str, key: int | None = None) -> None:
    name = user if isinstance(user, str) else user.name
    ev.record(tx, now, actor, payload, "user", name, "",
              key=key if isinstance(user, str) else user.id)


def insert_token(tx: Transaction, now: int, actor: Principal, owner: UserRecord | tuple[int, str],
                 name: str, scope: str, expires_at: int | None) -> Token:
    """A new token of ``owner`` (a record or ``(id, name)``) with its creation event;
    the answer carries the secret, this once."""
    owner_id, owner_name = (owner.id, owner.name) if isinstance(owner, UserRecord) else owner
    token_id, secret = new_token()
    parts = split_token(secret)
    assert parts is not None
    record = TokenRecord(id=token_id, user_id=owner_id, name=name, secret_hash=parts[1],
                         scope=scope, created_at=now, expires_at=expires_at)
    tx.access.insert_token(record)
    ev.record(tx, now, actor, aev.TokenCreated(owner_name, name, scope, expires_at),
              "token", token_id, "")
    return token_entity(record, owner_name, secret)


def token_entity(t: TokenRecord, user: str, secret: str | None = None) -> Token:
    return Token(id=t.id, user=user, name=t.name, scope=t.scope, created_at=t.created_at,
                 expires_at=t.expires_at, revoked_at=t.revoked_at,
                 last_used_at=t.last_used_at, secret=secret)


class UserOps(AccessBase):
    def require_admin(self, actor: Principal) -> None:
        """Admin only (anyone while the registry is open)."""
        if actor.is_admin or self.is_open():
            return
        from modelyard.errors import Unauthenticated

        if actor.id is None:
            raise Unauthenticated("authentication required")
        raise PermissionDenied("only an admin may do this")

    def create_user(self, actor: Principal, name: str, *, password: str | None = None,
                    is_admin: bool = False, kind: str = "user",
                    groups: list[str] | None = None, with_token: bool | None = None) -> User:
        """A new user; ``with_token`` (default: for the first user, who ends the open
        mode) also creates a token, whose secret is in ``User.token`` this once."""
        check_name(name, "user name")
        if ":" in name:
            raise InvalidParameter("user name must not contain ':' (HTTP Basic splits on it)")
        if kind not in ("user", "service"):
            raise InvalidParameter("kind must be 'user' or 'service'")
        if password is not None and len(password) < MIN_PASSWORD:
            raise InvalidParameter(f"a password has at least {MIN_PASSWORD} characters")
        if kind == "service" and password is not None:
            raise InvalidParameter("a service account has tokens, not a password")
        groups = sorted({check_name(g, "group name") for g in groups or []})
        self.require_admin(actor)
        pw_hash = None if password is None else hash_password(password)
        with self.store.write() as tx:
            if tx.access.count_users() == 0 and not is_admin:
                raise InvalidParameter("the first user must be an admin (--admin): "
                                       "creating it ends the open mode")
            if tx.access.user(name) is not None:
                raise AlreadyExists(f"user {name!r} already exists")
            now = self.clock.now_ms()
            uid = tx.access.insert_user(name, kind, is_admin, pw_hash, now, actor.name)
            first = tx.access.count_users() == 1
            tx.access.set_groups(uid, groups)
            user_event(tx, now, actor, aev.UserCreated(kind, is_admin, groups), name, uid)
            token = None
            if with_token or (with_token is None and first):
                token = insert_token(tx, now, actor, (uid, name), "initial", "write", None)
            created = find_user(tx, name)
        self.changed()
        return replace(user_entity(created), token=None if token is None else token.secret)

    def get_user(self, actor: Principal, name: str) -> User:
        if actor.name != name or actor.id is None:
            self.require_admin(actor)
        with self.store.read() as tx:
            return user_entity(find_user(tx, name))

    def user_id(self, actor: Principal, name: str) -> int:
        """A user's numeric id (MLflow's auth API shows it); as visible as the user."""
        if actor.name != name or actor.id is None:
            self.require_admin(actor)
        with self.store.read() as tx:
            return find_user(tx, name).id

    def list_users(self, actor: Principal) -> list[User]:
        self.require_admin(actor)
        with self.store.read() as tx:
            return [user_entity(u) for u in tx.access.list_users()]

    def update_user(self, actor: Principal, name: str, *, disabled: bool | None = None,
                    is_admin: bool | None = None, password: str | None = None,
                    groups: list[str] | None = None) -> User:
        """Change what is given.  Users may change their own password; the rest is
        for admins.  Every credential of a disabled user stops working at once."""
        own_password = (password is not None and disabled is None and is_admin is None
                        and groups is None and actor.id is not None and actor.name == name)
        if not own_password:
            self.require_admin(actor)
        if password is not None and len(password) < MIN_PASSWORD:
            raise InvalidParameter(f"a password has at least {MIN_PASSWORD} characters")
        pw_hash = hash_password(password) if password is not None else None
        with self.store.write() as tx:
            user = find_user(tx, name)
            if user.kind == "service" and password is not None:
                raise InvalidParameter("a service account has tokens, not a password")
            now = self.clock.now_ms()
            self._keep_an_admin(tx, user, disabled is True or is_admin is False)
            tx.access.update_user(user.id, now, disabled=disabled, is_admin=is_admin,
                                  password_hash=pw_hash)
            if groups is not None:
                tx.access.set_groups(user.id, [check_name(g, "group name") for g in groups])
            changes: dict[str, object] = {k: v for k, v in (
                ("disabled", disabled), ("is_admin", is_admin), ("groups", groups)) if v is not None}
            if password is not None:
                changes["password"] = "changed"
            user_event(tx, now, actor, aev.UserUpdated(changes), user)
            updated = find_user(tx, name)
        self.changed()
        return user_entity(updated)

    def delete_user(self, actor: Principal, name: str) -> None:
        self.require_admin(actor)
        with self.store.write() as tx:
            user = find_user(tx, name)
            self._keep_an_admin(tx, user, True)
            now = self.clock.now_ms()
            tx.access.delete_user(user.id)
            user_event(tx, now, actor, aev.UserDeleted(), user)
        self.changed()

    @staticmethod
    def _keep_an_admin(tx: Transaction, user: UserRecord, losing: bool) -> None:
        """Refuse to disable, demote or delete the last enabled admin (no way back in)."""
        if not (losing and user.is_admin and not user.disabled):
            return
        admins = [u for u in tx.access.list_users() if u.is_admin and not u.disabled]
        if len(admins) <= 1:
            raise InvalidParameter(f"{user.name!r} is the last enabled admin")
