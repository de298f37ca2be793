"""``tx.registry``: projects, models, versions, tags and aliases, one SQL module each."""

from __future__ import annotations

from sqlalchemy import Connection

from modelyard.store.aliases_repo import AliasesRepo
from modelyard.store.models_repo import ModelsRepo
from modelyard.store.versions_repo import VersionsRepo


class RegistryRepo(ModelsRepo, VersionsRepo, AliasesRepo):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
