"""SQL for aliases: (model, name) -> version number."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from modelyard.store.registry_queries import upsert
from modelyard.store.schema import aliases


class AliasesRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def alias_version(self, model_id: int, alias: str) -> int | None:
        version = self.conn.execute(select(aliases.c.version).where(
            aliases.c.model_id == model_id, aliases.c.alias == alias)).scalar()
        return None if version is None else int(version)

    def set_alias(self, model_id: int, alias: str, version: int, now: int, actor: str) -> None:
        upsert(self.conn, aliases, {"model_id": model_id, "alias": alias},
               {"version": version, "updated_at": now, "updated_by": actor})

    def delete_alias(self, model_id: int, alias: str) -> bool:
        res = self.conn.execute(delete(aliases).where(
            aliases.c.model_id == model_id, aliases.c.alias == alias))
        return bool(res.rowcount)

    def aliases_of(self, model_id: int, version: int) -> list[str]:
        return list(self.conn.execute(select(aliases.c.alias).where(
            aliases.c.model_id == model_id, aliases.c.version == version)).scalars())

    def delete_aliases_of(self, model_id: int, version: int) -> None:
        self.conn.execute(delete(aliases).where(
            aliases.c.model_id == model_id, aliases.c.version == version))
