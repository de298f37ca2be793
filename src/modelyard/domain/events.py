"""Event types and the one function that writes them (inside the change's transaction)."""

from __future__ import annotations

from typing import Any

from modelyard.domain.entities import Principal
from modelyard.domain.ports import Transaction
from modelyard.domain.records import NewEvent

MODEL_CREATED = "model.created"
MODEL_UPDATED = "model.updated"
MODEL_RENAMED = "model.renamed"
MODEL_DELETED = "model.deleted"
MODEL_RESTORED = "model.restored"
MODEL_TAG_SET = "model.tag_set"
MODEL_TAG_DELETED = "model.tag_deleted"
VERSION_CREATED = "version.created"
VERSION_UPDATED = "version.updated"
VERSION_DELETED = "version.deleted"
VERSION_RESTORED = "version.restored"
VERSION_TAG_SET = "version.tag_set"
VERSION_TAG_DELETED = "version.tag_deleted"
VERSION_STAGE_CHANGED = "version.stage_changed"
ALIAS_SET = "alias.set"
ALIAS_DELETED = "alias.deleted"
PROJECT_CREATED = "project.created"


def record(tx: Transaction, now: int, actor: Principal, type: str, entity_type: str, entity_id: str,
           project: str = "default", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> None:
    tx.events.append(NewEvent(type=type, entity_type=entity_type, entity_id=entity_id,
                              project=project, actor=actor.name, time=now, before=before,
                              after=after))
