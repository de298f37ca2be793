"""SQL of governance: project policies, transition requests, alias history.

Writers on one model hold its row lock (``touch_model``) first; the request row is
read ``FOR UPDATE`` where the database has it (SQLite serialises writers), so two
approvals arriving together see each other."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.domain.governance_records import (
    AliasMove,
    Decision,
    NewRequest,
    TransitionRequest,
)
from modelyard.errors import AlreadyExists
from modelyard.store.rows import upsert
from modelyard.store.schema import model_versions, registered_models
from modelyard.store.schema_governance import (
    alias_history,
    project_policies,
    request_decisions,
    transition_requests,
)

P, T, D, H = project_policies, transition_requests, request_decisions, alias_history
V, M = model_versions, registered_models


_POLICY = select(P).where(P.c.project_id == bindparam("project_id"))


class GovernanceRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- policies ---------------------------------------------------------------------
    def policy(self, project_id: int) -> tuple[str, dict[str, Any], int, str] | None:
        r = self.conn.execute(_POLICY, {"project_id": project_id}).mappings().first()
        if r is None:
            return None
        return r["source"], json.loads(r["data"]), int(r["updated_at"]), r["updated_by"]

    def set_policy(self, project_id: int, source: str, data: dict[str, Any], now: int,
                   actor: str) -> None:
        values = {"source": source, "data": json.dumps(data), "updated_at": now,
                  "updated_by": actor}
        self.conn.execute(upsert(self.conn, P, ["project_id"],
                                 {"project_id": project_id, **values}, list(values)))

    def delete_policy(self, project_id: int) -> bool:
        return bool(self.conn.execute(delete(P).where(P.c.project_id == project_id)).rowcount)

    # -- requests ---------------------------------------------------------------------
    def insert_request(self, r: NewRequest) -> int:
        res = self.conn.execute(insert(T).values(
            model_id=r.model_id, version_id=r.version_id, version=r.version,
            from_stage=r.from_stage, to_stage=r.to_stage, status="open", requester=r.requester,
            needed=r.needed, role=r.role, allow_requester=r.allow_requester,
            archive_existing=r.archive_existing, comment=r.comment, created_at=r.now,
            reason=""))
        pk = res.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def _select(self) -> Select[Any]:
        return select(T, M.c.name.label("model_name")).join(M, M.c.id == T.c.model_id)

    def request(self, request_id: int, *, lock: bool = False) -> TransitionRequest | None:
        lock = lock and self.conn.dialect.name != "sqlite"
        if lock:
            self.conn.execute(select(T.c.id).where(T.c.id == request_id).with_for_update())
        found = self._load(self._select().where(T.c.id == request_id), lock=lock)
        return found[0] if found else None

    def request_archive(self, request_id: int) -> bool:
        return bool(self.conn.execute(select(T.c.archive_existing)
                                      .where(T.c.id == request_id)).scalar())

    def request_model_id(self, request_id: int) -> int | None:
        found = self.conn.execute(select(T.c.model_id).where(T.c.id == request_id)).scalar()
        return None if found is None else int(found)

    def open_request_for(self, version_id: int, to_stage: str) -> int | None:
        found = self.conn.execute(select(T.c.id).where(
            T.c.version_id == version_id, T.c.to_stage == to_stage, T.c.status == "open")
        ).scalar()
        return None if found is None else int(found)

    def list_requests(self, *, model_id: int | None = None, status: str | None = None,
                      offset: int = 0, limit: int = 100) -> list[TransitionRequest]:
        q = self._select()
        if model_id is not None:
            q = q.where(T.c.model_id == model_id)
        if status is not None:
            q = q.where(T.c.status == status)
        return self._load(q.order_by(T.c.id.desc()).offset(offset).limit(limit))

    def _load(self, q: Select[Any], *, lock: bool = False) -> list[TransitionRequest]:
        """Locking reads (``lock``) see the last committed rows on every database, also
        under MySQL's repeatable read."""
        rows = list(self.conn.execute(q.with_for_update() if lock else q).mappings())
        ids = [int(r["id"]) for r in rows]
        decisions: dict[int, list[Decision]] = {i: [] for i in ids}
        if ids:
            dq = select(D).where(D.c.request_id.in_(ids)).order_by(D.c.at, D.c.decided_by)
            for d in self.conn.execute(dq.with_for_update() if lock else dq).mappings():
                decisions[int(d["request_id"])].append(Decision(
                    user=d["decided_by"], decision=d["decision"], comment=d["comment"],
                    at=int(d["at"])))
        return [TransitionRequest(
            id=int(r["id"]), model=r["model_name"], version=int(r["version"]),
            from_stage=r["from_stage"], to_stage=r["to_stage"], status=r["status"],
            requester=r["requester"], needed=int(r["needed"]), role=r["role"],
            allow_requester=bool(r["allow_requester"]), comment=r["comment"],
            created_at=int(r["created_at"]), closed_at=r["closed_at"],
            closed_by=r["closed_by"], reason=r["reason"], decisions=decisions[int(r["id"])])
            for r in rows]

    def add_decision(self, request_id: int, user: str, decision: str, comment: str,
                     now: int) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(D).values(request_id=request_id, decided_by=user,
                                                   decision=decision, comment=comment, at=now))
        except IntegrityError:
            raise AlreadyExists(f"{user} has decided on request #{request_id} already") from None

    def close_request(self, request_id: int, status: str, now: int, actor: str,
                      reason: str) -> None:
        self.conn.execute(update(T).where(T.c.id == request_id).values(
            status=status, closed_at=now, closed_by=actor, reason=reason))

    def count_in_stage(self, model_id: int, stage: str, *, lock: bool = False) -> int:
        q = select(V.c.id).where(V.c.model_id == model_id, V.c.deleted_at.is_(None),
                                 func.lower(V.c.stage) == stage.lower())
        if lock and self.conn.dialect.name != "sqlite":
            q = q.with_for_update()
        return len(list(self.conn.execute(q).scalars()))

    # -- alias history ----------------------------------------------------------------
    def move_alias(self, model_id: int, alias: str, version: int | None, now: int,
                   actor: str, via: str, request_id: int | None) -> int:
        q = select(H.c.id, H.c.valid_from).where(H.c.model_id == model_id, H.c.alias == alias,
                                                 H.c.valid_to.is_(None))
        if self.conn.dialect.name != "sqlite":
            q = q.with_for_update()
        open_rows = list(self.conn.execute(q))
        at = max([now] + [int(r.valid_from) for r in open_rows])
        if open_rows:
            self.conn.execute(update(H).where(H.c.id.in_([r.id for r in open_rows]))
                              .values(valid_to=at))
        if version is not None:
            self.conn.execute(insert(H), dict(
                model_id=model_id, alias=alias, version=version, valid_from=at, valid_to=None,
                moved_by=actor, via=via, request_id=request_id))
        return at

    def _moves(self, q: Select[Any]) -> list[AliasMove]:
        return [AliasMove(model=r["model_name"], alias=r["alias"], version=int(r["version"]),
                          valid_from=int(r["valid_from"]), valid_to=r["valid_to"],
                          moved_by=r["moved_by"], via=r["via"], request_id=r["request_id"])
                for r in self.conn.execute(q).mappings()]

    def alias_history(self, model_id: int, alias: str, *, offset: int = 0,
                      limit: int = 100) -> list[AliasMove]:
        q = (select(H, M.c.name.label("model_name")).join(M, M.c.id == H.c.model_id)
             .where(H.c.model_id == model_id, H.c.alias == alias)
             .order_by(H.c.valid_from.desc(), H.c.id.desc()).offset(offset).limit(limit))
        return self._moves(q)

    def alias_at(self, model_id: int, alias: str, at: int) -> AliasMove | None:
        q = (select(H, M.c.name.label("model_name")).join(M, M.c.id == H.c.model_id)
             .where(H.c.model_id == model_id, H.c.alias == alias, H.c.valid_from <= at)
             .order_by(H.c.valid_from.desc(), H.c.id.desc()).limit(1))
        found = self._moves(q)
        if not found or (found[0].valid_to is not None and found[0].valid_to <= at):
            return None
        return found[0]
