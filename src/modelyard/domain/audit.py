"""AuditService: reading the event log."""

from __future__ import annotations

from modelyard.domain.access import AccessService
from modelyard.domain.entities import Event, Page, Principal
from modelyard.domain.lookup import find_model
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.ports import MetadataStore
from modelyard.domain.roles import Permission
from modelyard.domain.validation import check_max_results


class AuditService:
    def __init__(self, store: MetadataStore, access: AccessService | None = None) -> None:
        self.store = store
        self.access = access or AccessService(store)

    def list_events(self, actor: Principal, *, entity_type: str | None = None,
                    entity_id: str | None = None, type_prefix: str | None = None,
                    after_id: int | None = None, newest_first: bool = False,
                    max_results: int | None = None, page_token: str | None = None,
                    model: str | None = None, user: str | None = None,
                    since: int | None = None, types: list[str] | None = None) -> Page[Event]:
        """Events, filtered.  ``model`` names a live model: its events, and those of its
        versions, aliases and deployments, under every name it has had; ``user`` the
        principal who acted, ``since`` the earliest time (ms), ``types`` exact types.

        The log is append-only: no service method edits or deletes an event."""
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        seen = self.access.visibility(actor)
        with self.store.read() as tx:
            found = find_model(tx, model) if model is not None else None
            if found is not None:
                self.access.require_model(actor, Permission.READ, found)
            model_id = found.id if found is not None else None
            items = tx.events.list(entity_type=entity_type, entity_id=entity_id,
                                   type_prefix=type_prefix, after_id=after_id, offset=offset,
                                   limit=limit + 1, newest_first=newest_first,
                                   model_id=model_id, readable=seen.readable, actor=user,
                                   since=since, types=types)
        return page_of(items, offset, limit)
