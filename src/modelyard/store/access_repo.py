"""SQL for users, groups, tokens and role bindings (``tx.access``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.domain.access_records import GrantRecord, TokenRecord, UserRecord
from modelyard.errors import AlreadyExists
from modelyard.store.schema import model_versions, projects, registered_models, version_files
from modelyard.store.schema_mlflow import logged_model_files, logged_models
from modelyard.store.schema_tracking import dataset_files, experiments, run_artifacts, runs
from modelyard.store.schema_access import auth_failures, role_bindings, tokens, user_groups, users
from modelyard.store.schema_dvc import dvc_objects
from modelyard.store.schema_identity import sessions, user_identities
from modelyard.store.rows import statement_savepoint, upsert


def _user(r: RowMapping, groups: tuple[str, ...]) -> UserRecord:
    return UserRecord(id=r["id"], name=r["name"], kind=r["kind"], is_admin=bool(r["is_admin"]),
                      disabled=bool(r["disabled"]), password_hash=r["password_hash"],
                      created_at=r["created_at"], created_by=r["created_by"],
                      changed_at=r["changed_at"], groups=groups)


def _token(r: RowMapping) -> TokenRecord:
    return TokenRecord(id=r["id"], user_id=r["user_id"], name=r["name"],
                       secret_hash=r["secret_hash"], scope=r["scope"],
                       created_at=r["created_at"], expires_at=r["expires_at"],
                       revoked_at=r["revoked_at"], last_used_at=r["last_used_at"])


class AccessRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- users ------------------------------------------------------------------------
    def count_users(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(users)).scalar_one())

    def insert_user(self, name: str, kind: str, is_admin: bool, password_hash: str | None,
                    now: int, by: str) -> int:
        try:
            with statement_savepoint(self.conn):
                result = self.conn.execute(insert(users).values(
                    name=name, kind=kind, is_admin=is_admin, disabled=False,
                    password_hash=password_hash, created_at=now, created_by=by,
                    changed_at=now))
        except IntegrityError:  # created at the same moment by another writer
            raise AlreadyExists(f"user {name!r} already exists") from None
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def _groups(self, user_id: int) -> tuple[str, ...]:
        rows = self.conn.execute(select(user_groups.c.group_name)
                                 .where(user_groups.c.user_id == user_id)
                                 .order_by(user_groups.c.group_name)).scalars()
        return tuple(rows)

    def _one(self, where: Any) -> UserRecord | None:
        row = self.conn.execute(select(users).where(where)).mappings().first()
        return None if row is None else _user(row, self._groups(row["id"]))

    def user(self, name: str) -> UserRecord | None:
        return self._one(users.c.name == name)

    def user_by_id(self, user_id: int) -> UserRecord | None:
        return self._one(users.c.id == user_id)

    def list_users(self) -> list[UserRecord]:
        rows = self.conn.execute(select(users).order_by(users.c.name)).mappings().all()
        return [_user(r, self._groups(r["id"])) for r in rows]

    def update_user(self, user_id: int, now: int, *, disabled: bool | None = None,
                    is_admin: bool | None = None, password_hash: str | None = None) -> None:
        values: dict[str, Any] = {"changed_at": now}
        if disabled is not None:
            values["disabled"] = disabled
        if is_admin is not None:
            values["is_admin"] = is_admin
        if password_hash is not None:
            values["password_hash"] = password_hash
        self.conn.execute(update(users).where(users.c.id == user_id).values(**values))

    def delete_user(self, user_id: int) -> None:
        """The user, its tokens, groups and grants (a later user of the same name
        starts with none)."""
        name = self.conn.execute(select(users.c.name).where(users.c.id == user_id)).scalar()
        self.conn.execute(delete(role_bindings).where(role_bindings.c.subject_kind == "user",
                                                      role_bindings.c.subject == name))
        self.conn.execute(delete(tokens).where(tokens.c.user_id == user_id))
        self.conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
        self.conn.execute(delete(user_identities).where(user_identities.c.user_id == user_id))
        self.conn.execute(delete(user_groups).where(user_groups.c.user_id == user_id))
        self.conn.execute(delete(users).where(users.c.id == user_id))

    def set_groups(self, user_id: int, groups: list[str]) -> None:
        self.conn.execute(delete(user_groups).where(user_groups.c.user_id == user_id))
        for g in sorted(set(groups)):
            self.conn.execute(insert(user_groups).values(user_id=user_id, group_name=g))

    # -- tokens -----------------------------------------------------------------------
    def insert_token(self, token: TokenRecord) -> None:
        t = token
        self.conn.execute(insert(tokens).values(
            id=t.id, user_id=t.user_id, name=t.name, secret_hash=t.secret_hash, scope=t.scope,
            created_at=t.created_at, expires_at=t.expires_at))

    def token(self, token_id: str) -> TokenRecord | None:
        row = self.conn.execute(select(tokens).where(tokens.c.id == token_id)).mappings().first()
        return None if row is None else _token(row)

    def list_tokens(self, user_id: int | None) -> list[TokenRecord]:
        q = select(tokens).order_by(tokens.c.created_at, tokens.c.id)
        if user_id is not None:
            q = q.where(tokens.c.user_id == user_id)
        return [_token(r) for r in self.conn.execute(q).mappings()]

    def revoke_token(self, token_id: str, now: int) -> None:
        self.conn.execute(update(tokens).where(tokens.c.id == token_id,
                                               tokens.c.revoked_at.is_(None))
                          .values(revoked_at=now))

    def touch_token(self, token_id: str, now: int) -> None:
        self.conn.execute(update(tokens).where(tokens.c.id == token_id).values(last_used_at=now))

    # -- role bindings ----------------------------------------------------------------
    def _binding(self, g: GrantRecord) -> Any:
        b = role_bindings.c
        return and_(b.subject_kind == g.subject_kind, b.subject == g.subject,
                    b.scope_kind == g.scope_kind, b.scope_id == g.scope_id)

    def put_grant(self, grant: GrantRecord) -> None:
        """Add the binding, or change the role of the subject's binding on the scope
        (also when the same grant is made several times at once)."""
        g = grant
        self.conn.execute(upsert(
            self.conn, role_bindings, ["subject_kind", "subject", "scope_kind", "scope_id"],
            {"subject_kind": g.subject_kind, "subject": g.subject, "role": g.role,
             "scope_kind": g.scope_kind, "scope_id": g.scope_id, "created_at": g.created_at,
             "created_by": g.created_by},
            ["role", "created_at", "created_by"]))

    def delete_grant(self, subject_kind: str, subject: str, scope_kind: str,
                     scope_id: int) -> bool:
        probe = GrantRecord(subject_kind, subject, "", scope_kind, scope_id)
        return bool(self.conn.execute(delete(role_bindings).where(self._binding(probe)))
                    .rowcount)

    def grants(self, *, subjects: list[tuple[str, str]] | None = None,
               scope_kind: str | None = None, scope_id: int | None = None) -> list[GrantRecord]:
        b = role_bindings.c
        name = func.coalesce(projects.c.name, registered_models.c.name, experiments.c.name, "")
        q = (select(role_bindings, name.label("scope_name"))
             .outerjoin(projects, and_(b.scope_kind == "project", projects.c.id == b.scope_id))
             .outerjoin(registered_models, and_(b.scope_kind == "model",
                                                registered_models.c.id == b.scope_id))
             .outerjoin(experiments, and_(b.scope_kind == "experiment",
                                          experiments.c.id == b.scope_id))
             .order_by(b.id))
        if subjects is not None:
            if not subjects:
                return []
            q = q.where(or_(*[and_(b.subject_kind == k, b.subject == s) for k, s in subjects]))
        if scope_kind is not None:
            q = q.where(b.scope_kind == scope_kind)
        if scope_id is not None:
            q = q.where(b.scope_id == scope_id)
        return [GrantRecord(subject_kind=r["subject_kind"], subject=r["subject"], role=r["role"],
                            scope_kind=r["scope_kind"], scope_id=r["scope_id"],
                            scope_name=r["scope_name"], created_at=r["created_at"],
                            created_by=r["created_by"])
                for r in self.conn.execute(q).mappings()]

    def blob_experiments(self, digest: str) -> set[int]:
        """The experiments whose runs or logged models list a blob (at most 100)."""
        q = (select(runs.c.experiment_id).distinct()
             .select_from(run_artifacts.join(runs, runs.c.id == run_artifacts.c.run_id))
             .where(run_artifacts.c.sha256 == digest).limit(100))
        found = {int(e) for e in self.conn.execute(q).scalars()}
        q2 = (select(logged_models.c.experiment_id).distinct()
              .select_from(logged_model_files.join(
                  logged_models, logged_models.c.id == logged_model_files.c.logged_model_id))
              .where(logged_model_files.c.sha256 == digest).limit(100))
        found |= {int(e) for e in self.conn.execute(q2).scalars() if str(e).isdigit()}
        return found

    # -- failed authentication (rate limiting) -----------------------------------------
    def record_failures(self, keys: list[str], at: int) -> None:
        self.conn.execute(insert(auth_failures), [{"key": k, "at": at} for k in keys])

    def recent_failures(self, keys: list[str], since: int) -> dict[str, tuple[int, int]]:
        """``key -> (failures after since, the oldest of them)`` for the keys with any."""
        f = auth_failures.c
        q = (select(f.key, func.count(), func.min(f.at))
             .where(f.key.in_(keys), f.at > since).group_by(f.key))
        return {str(k): (int(n), int(oldest)) for k, n, oldest in self.conn.execute(q)}

    def prune_failures(self, before: int) -> None:
        ids = list(self.conn.execute(select(auth_failures.c.id)
                                     .where(auth_failures.c.at <= before).limit(5000)).scalars())
        if ids:
            self.conn.execute(delete(auth_failures).where(auth_failures.c.id.in_(ids)))

    # -- blobs ------------------------------------------------------------------------
    def blob_owners(self, digest: str) -> tuple[list[tuple[int, int]], bool]:
        """Who references a blob: ``(model id, project id)`` of each model with a
        version listing it (model id 0 for a project whose DVC remote holds it), and
        whether a run, dataset or logged model lists it."""
        q = (select(registered_models.c.id, registered_models.c.project_id).distinct()
             .select_from(version_files.join(model_versions,
                                             model_versions.c.id == version_files.c.version_id)
                          .join(registered_models,
                                registered_models.c.id == model_versions.c.model_id))
             .where(version_files.c.sha256 == digest).limit(100))
        models = [(int(m), int(p)) for m, p in self.conn.execute(q)]
        models += [(0, int(p)) for p in self.conn.execute(
            select(dvc_objects.c.project_id).distinct()
            .where(dvc_objects.c.sha256 == digest).limit(100)).scalars()]
        tracked = any(
            self.conn.execute(select(t.c.sha256).where(t.c.sha256 == digest).limit(1)).first()
            for t in (run_artifacts, dataset_files, logged_model_files))
        return models, tracked
