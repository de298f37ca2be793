"""SQL for deployments and the edges of the lineage graph."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from modelyard.domain.entities import Deployment
from modelyard.store.schema import model_versions, registered_models, version_parents
from modelyard.store.schema_tracking import dataset_versions, deployments, run_inputs, runs

V, M, DEP = model_versions, registered_models, deployments


class LineageRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- deployments ------------------------------------------------------------------
    def insert_deployment(self, dep_id: str, version_id: int, endpoint: str, environment: str,
                          now: int, actor: str) -> None:
        self.conn.execute(insert(DEP).values(
            id=dep_id, version_id=version_id, endpoint=endpoint, environment=environment,
            started_at=now, ended_at=None, created_by=actor))

    def end_deployment(self, dep_id: str, now: int) -> None:
        self.conn.execute(update(DEP).where(DEP.c.id == dep_id).values(ended_at=now))

    def heartbeat_deployment(self, dep_id: str, now: int) -> None:
        self.conn.execute(update(DEP).where(DEP.c.id == dep_id).values(heartbeat_at=now))

    def stale_deployments(self, before: int) -> list[str]:
        q = select(DEP.c.id).where(DEP.c.ended_at.is_(None), DEP.c.heartbeat_at.is_not(None),
                                   DEP.c.heartbeat_at < before).order_by(DEP.c.id)
        return [r[0] for r in self.conn.execute(q)]

    def _deployments(self) -> Any:
        return (select(DEP, M.c.name.label("model"), V.c.version.label("number"))
                .join(V, V.c.id == DEP.c.version_id).join(M, M.c.id == V.c.model_id))

    @staticmethod
    def _deployment(r: Any) -> Deployment:
        return Deployment(id=r["id"], model=r["model"], version=r["number"],
                          endpoint=r["endpoint"], environment=r["environment"],
                          started_at=r["started_at"], ended_at=r["ended_at"],
                          created_by=r["created_by"], heartbeat_at=r["heartbeat_at"])

    def deployment(self, dep_id: str) -> tuple[Deployment, int] | None:
        r = self.conn.execute(self._deployments().where(DEP.c.id == dep_id)).mappings().first()
        return (self._deployment(r), int(r["version_id"])) if r else None

    def deployment_ids_with_prefix(self, prefix: str, limit: int) -> list[str]:
        q = select(DEP.c.id).where(DEP.c.id.like(f"{prefix}%")).limit(limit)
        return [str(r) for r in self.conn.execute(q).scalars()]

    def list_deployments(self, *, model_id: int | None = None, version_id: int | None = None,
                         active_only: bool = True, limit: int = 10_000) -> list[Deployment]:
        q = self._deployments()
        if model_id is not None:
            q = q.where(V.c.model_id == model_id)
        if version_id is not None:
            q = q.where(DEP.c.version_id == version_id)
        if active_only:
            q = q.where(DEP.c.ended_at.is_(None))
        q = q.order_by(DEP.c.started_at.desc(), DEP.c.id).limit(limit)
        return [self._deployment(r) for r in self.conn.execute(q).mappings()]

    # -- edges ------------------------------------------------------------------------
    def version_parents(self, version_id: int) -> list[tuple[int, str]]:
        q = select(version_parents.c.parent_id, version_parents.c.relation).where(
            version_parents.c.version_id == version_id)
        return [(int(a), b) for a, b in self.conn.execute(q)]

    def version_children(self, version_id: int) -> list[tuple[int, str]]:
        q = select(version_parents.c.version_id, version_parents.c.relation).where(
            version_parents.c.parent_id == version_id)
        return [(int(a), b) for a, b in self.conn.execute(q)]

    def versions_of_run(self, run_uuid: str) -> list[int]:
        q = select(V.c.id).where(V.c.run_id == run_uuid).order_by(V.c.id)
        return [int(x) for x in self.conn.execute(q).scalars()]

    def inputs_of_run(self, run_id: int) -> list[tuple[int, str]]:
        q = select(run_inputs.c.dataset_version_id, run_inputs.c.context).where(
            run_inputs.c.run_id == run_id)
        return [(int(a), b) for a, b in self.conn.execute(q)]

    def runs_of_dataset_version(self, dataset_version_id: int) -> list[tuple[str, str]]:
        q = (select(runs.c.run_uuid, run_inputs.c.context)
             .join(runs, runs.c.id == run_inputs.c.run_id)
             .where(run_inputs.c.dataset_version_id == dataset_version_id)
             .order_by(runs.c.start_time))
        return [(a, b) for a, b in self.conn.execute(q)]

    def dataset_version_id(self, dataset_id: int, number: int) -> int | None:
        return self.conn.execute(select(dataset_versions.c.id).where(
            dataset_versions.c.dataset_id == dataset_id,
            dataset_versions.c.version == number)).scalar()
