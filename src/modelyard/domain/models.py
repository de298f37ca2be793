"""Registered models: create, read, search, describe, rename, tag, delete, restore."""

from __future__ import annotations

from modelyard.domain import events as ev
from modelyard.domain.entities import Page, Principal, RegisteredModel
from modelyard.domain.lookup import find_model
from modelyard.domain.names import lookalike_of, skeleton_key
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord
from modelyard.domain.projects import DEFAULT_PROJECT, ProjectOps
from modelyard.domain.prompts import check_kind, with_kind
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.validation import (
    check_description,
    check_max_results,
    check_name,
    check_tag,
    check_tags,
)
from modelyard.domain.roles import Permission
from modelyard.errors import InvalidParameter, ModelyardError, NoSuchTag

MODEL_FIELDS = FieldSet(
    attributes={
        "name": "name", "description": "description", "project": "project",
        "created_at": "created_at", "creation_timestamp": "created_at",
        "updated_at": "updated_at", "last_updated_timestamp": "updated_at",
        "created_by": "created_by", "user_id": "created_by", "kind": "kind",
    },
    numeric=frozenset({"created_at", "updated_at"}),
)


def _entity(tx: Transaction, name: str) -> RegisteredModel:
    return tx.registry.model_entity(find_model(tx, name))


def _refuse_lookalike(tx: Transaction, name: str, *, renaming: str | None = None) -> None:
    """A new name must not be confused with a live model's (one query on the indexed
    skeleton).  Two creations of look-alikes at the same instant may both pass on
    PostgreSQL and MySQL; the attack this stops, a look-alike of a model that exists,
    always sees it."""
    taken = [n for n in tx.registry.model_names_like(skeleton_key(name)) if n != renaming]
    other = lookalike_of(name, taken)
    if other is not None:
        raise InvalidParameter(
            f"model name {name!r} looks like the existing model {other!r}; choose a "
            "name that cannot be confused with it")


class ModelOps(ProjectOps):
    def create_model(self, actor: Principal, name: str, description: str = "",
                     tags: dict[str, str] | None = None,
                     project: str = DEFAULT_PROJECT) -> RegisteredModel:
        name = check_name(name, "model name")
        description = check_description(description)
        tags = check_tags(tags)
        in_default = (project or DEFAULT_PROJECT) == DEFAULT_PROJECT
        if in_default:
            self._ensure_default_project(actor)
        with self.store.write() as tx:
            now = self.clock.now_ms()
            _refuse_lookalike(tx, name)
            pid = self._project_id(tx, project or DEFAULT_PROJECT, actor)
            # The default project is no secret (it always exists): without a role
            # there the answer is the missing role, elsewhere the project is hidden.
            self.access.require(actor, Permission.WRITE, project_id=pid,
                                hide=None if in_default else f"project {project!r} does not exist")
            mid = tx.registry.insert_model(name, pid, description, now, actor.name)
            self.access.make_maintainer(tx, actor, mid, now)
            for k, v in tags.items():
                tx.registry.set_model_tag(mid, k, v)
            # Untagged, in the default project, every field is known: not read back.
            # Else read back: the project's name as stored, and the tags as the
            # database keeps them (MySQL compares keys without their trailing spaces).
            read_back = bool(tags) or not in_default
            model = find_model(tx, name) if read_back else ModelRecord(
                id=mid, name=name, project_id=pid, project=DEFAULT_PROJECT,
                description=description, created_at=now, updated_at=now,
                created_by=actor.name, updated_by=actor.name, deleted=False)
            ev.on_model(tx, now, actor, ev.ModelCreated(description, tags), model)
            if read_back:
                return tx.registry.model_entity(model)
            return RegisteredModel(name=name, project=DEFAULT_PROJECT, description=description,
                                   created_at=now, updated_at=now,
                                   created_by=actor.name, updated_by=actor.name)

    def get_model(self, actor: Principal, name: str, *, deleted: bool = False) -> RegisteredModel:
        with self.store.read() as tx:
            model = find_model(tx, name, deleted=deleted)
            self._allow(actor, Permission.READ, model)
            return tx.registry.model_entity(model)

    def permissions_on(self, actor: Principal, name: str) -> frozenset[str]:
        """The permissions (``read``, ``write``, ``manage``, ``admin``) the actor holds on
        a model it may read, so an interface offers only the actions it would allow."""
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            held = set()
            for perm in Permission:
                try:
                    self._allow(actor, perm, model)
                except ModelyardError:
                    continue
                held.add(perm.name.lower())
            return frozenset(held)

    def search_models(self, actor: Principal, filter: str | None = None,
                      order_by: list[str] | None = None, max_results: int | None = None,
                      page_token: str | None = None, *, deleted: bool = False,
                      kind: str | None = "model") -> Page[RegisteredModel]:
        """Models (``kind`` "model", the default), prompts ("prompt") or both (None)."""
        node = with_kind(parse_filter(filter, MODEL_FIELDS), check_kind(kind))
        order = parse_order_by(order_by, MODEL_FIELDS)
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        readable = self.access.visibility(actor).readable
        with self.store.read() as tx:
            items = tx.registry.search_models(node, order, offset, limit + 1, deleted=deleted,
                                              readable=readable)
        return page_of(items, offset, limit)

    def update_model(self, actor: Principal, name: str, description: str) -> RegisteredModel:
        description = check_description(description)
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            tx.registry.set_model_description(model.id, description, now, actor.name)
            ev.on_model(tx, now, actor, ev.ModelUpdated(model.description, description), model)
            return _entity(tx, name)

    def rename_model(self, actor: Principal, name: str, new_name: str) -> RegisteredModel:
        new_name = check_name(new_name, "model name")
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.MANAGE, model)
            _refuse_lookalike(tx, new_name, renaming=model.name)
            now = self.clock.now_ms()
            tx.registry.rename_model(model.id, new_name, now, actor.name)
            ev.on_model(tx, now, actor, ev.ModelRenamed(name, new_name), model, new_name)
            return _entity(tx, new_name)

    def set_model_tag(self, actor: Principal, name: str, key: str, value: str) -> None:
        key, value = check_tag(key, value)
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            tx.registry.set_model_tag(model.id, key, value)
            ev.on_model(tx, now, actor, ev.ModelTagSet(key, value), model)

    def delete_model_tag(self, actor: Principal, name: str, key: str) -> None:
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            if not tx.registry.delete_model_tag(model.id, key):
                raise NoSuchTag(f"model {name!r} has no tag {key!r}")
            ev.on_model(tx, now, actor, ev.ModelTagDeleted(key), model)

    def delete_model(self, actor: Principal, name: str) -> None:
        """Soft delete: hidden from reads and searches, restorable until collected."""
        with self.store.write() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.MANAGE, model)
            now = self.clock.now_ms()
            tx.registry.set_model_deleted(model.id, True, now, actor.name)
            ev.on_model(tx, now, actor, ev.ModelDeleted(), model)

    def restore_model(self, actor: Principal, name: str) -> RegisteredModel:
        with self.store.write() as tx:
            model = find_model(tx, name, deleted=True)
            self._allow(actor, Permission.MANAGE, model)
            _refuse_lookalike(tx, model.name)
            now = self.clock.now_ms()
            tx.registry.set_model_deleted(model.id, False, now, actor.name)
            ev.on_model(tx, now, actor, ev.ModelRestored(), model)
            return _entity(tx, name)
