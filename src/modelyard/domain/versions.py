"""Model versions: commit a manifest as a numbered version, resolve references, search,
describe, tag, delete and restore; the latest version per stage; a version's files."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import (
    FileEntry,
    ModelVersion,
    Page,
    ParentLink,
    Principal,
    RegisteredModel,
)
from modelyard.domain.logged_models import link_model_version
from modelyard.domain.lookup import find_model, find_version, model_missing, version_by_id
from modelyard.domain.manifests import check_blobs_present
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.prompts import check_kind, check_version_tags, tag_limit, with_kind
from modelyard.domain.ports import Transaction
from modelyard.domain.records import ModelRecord
from modelyard.domain.refs import VersionRef, parse_ref, ref_from_parts
from modelyard.domain.registry_base import RegistryBase
from modelyard.domain.roles import Permission
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.validation import (
    MAX_FLAVOR,
    check_description,
    check_manifest,
    check_max_results,
    check_relpath,
    check_tag,
    check_text,
)
from modelyard.errors import InvalidParameter, NoSuchTag, NotFound

VERSION_FIELDS = FieldSet(
    attributes={
        "name": "model", "model": "model", "version": "version",
        "version_number": "version", "stage": "stage", "current_stage": "stage",
        "status": "status", "description": "description", "source": "source",
        "run_id": "run_id", "flavor": "flavor", "size": "size", "alias": "alias",
        "created_at": "created_at", "creation_timestamp": "created_at",
        "updated_at": "updated_at", "last_updated_timestamp": "updated_at",
        "created_by": "created_by", "user_id": "created_by", "project": "project",
        "kind": "kind",
    },
    numeric=frozenset({"version", "size", "created_at", "updated_at"}),
)

RELATIONS = ("derived_from", "fine_tuned_from", "distilled_from", "retrained_from")

ParentSpec = str | dict[str, Any] | ParentLink


class VersionOps(RegistryBase):
    def create_version(self, actor: Principal, name: str, files: list[FileEntry], *,
                       description: str = "", tags: dict[str, str] | None = None,
                       source: str = "", run_id: str | None = None,
                       flavor: str | None = None,
                       signature: dict[str, Any] | None = None,
                       metrics: dict[str, float] | None = None,
                       parents: list[ParentSpec] | None = None,
                       logged_model: str | None = None) -> ModelVersion:
        """Commit a version whose files are already in the blob store.

        The number is assigned here, under the model's row lock, so concurrent
        registrations get consecutive numbers; the version is READY when visible.
        ``logged_model`` (an MLflow 3 logged model's id) records the version on it,
        in the same transaction."""
        description = check_description(description)
        tags = check_version_tags(tags)
        metrics = _check_metrics(metrics)
        flavor = check_text(flavor, "flavor", MAX_FLAVOR) or None
        source = check_text(source, "source", 4096)
        run_id = check_text(run_id, "run_id", 64) or None
        if signature is not None and not isinstance(signature, dict):
            raise InvalidParameter("signature must be an object")
        files = check_manifest(files)
        with self.store.write() as tx:
            check_blobs_present(tx, self.blobs, files)
            model = find_model(tx, name)
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            taken = tx.registry.take_version(model.id, now, actor.name)
            if taken is None:  # deleted since it was read
                raise NotFound(model_missing(name))
            number, current = taken
            model = replace(model, name=current)
            record = tx.registry.insert_version(
                model.id, number, model_name=model.name, status="READY",
                stage=self._policy(tx, model).initial, description=description,
                source=source, run_id=run_id, flavor=flavor, signature=signature,
                metrics=metrics, files=files, tags=tags, now=now, actor=actor.name)
            links = self._parents(tx, actor, parents)
            for parent_id, link in links:
                tx.registry.add_parent(record.id, parent_id, link.relation)
            if logged_model:
                link_model_version(tx, logged_model, model.name, number)
            ev.on_version(tx, now, actor,
                          ev.VersionCreated(len(files), record.size, run_id, source), model, record)
            return tx.registry.new_version_entity(record, tags, links)

    def _parents(self, tx: Transaction, actor: Principal,
                 parents: list[ParentSpec] | None) -> list[tuple[int, ParentLink]]:
        out = []
        for p in parents or []:
            if isinstance(p, str):
                ref, relation = parse_ref(p), "derived_from"
            elif isinstance(p, dict):
                ref = ref_from_parts(str(p.get("model", "")), p.get("version", ""))
                relation = p.get("relation") or "derived_from"
            else:
                ref, relation = ref_from_parts(p.model, p.version), p.relation
            if relation not in RELATIONS:
                raise InvalidParameter(f"relation must be one of {', '.join(RELATIONS)}")
            parent_model, version = find_version(tx, self.policy, ref)
            self._allow(actor, Permission.READ, parent_model)
            out.append((version.id, ParentLink(model=parent_model.name, version=version.version,
                                               relation=relation)))
        return out

    def get_version(self, actor: Principal, name: str, version: int | str, *,
                    with_files: bool = False) -> ModelVersion:
        return self.resolve(actor, ref_from_parts(name, version), with_files=with_files)

    def resolve(self, actor: Principal, ref: VersionRef | str, *,
                with_files: bool = False) -> ModelVersion:
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        with self.store.read() as tx:
            self._allow_name(tx, actor, Permission.READ, ref.model)
            if ref.alias is not None or ref.version is not None:
                # One query on the hot path; the full resolution below says what is
                # missing when it finds nothing.
                found = tx.registry.live_version(ref.model, number=ref.version, alias=ref.alias)
                if found is not None:
                    return tx.registry.version_entity(found, with_files=with_files)
            _, version = find_version(tx, self.policy, ref)
            return tx.registry.version_entity(version, with_files=with_files)

    def search_versions(self, actor: Principal, filter: str | None = None,
                        order_by: list[str] | None = None, max_results: int | None = None,
                        page_token: str | None = None, *, deleted: bool = False,
                        kind: str | None = None) -> Page[ModelVersion]:
        """Versions of models and prompts (``kind`` None, the default), or of one
        kind only (``domain/prompts.py``)."""
        node = with_kind(parse_filter(filter, VERSION_FIELDS), check_kind(kind))
        order = parse_order_by(order_by, VERSION_FIELDS)
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        readable = self.access.visibility(actor).readable
        with self.store.read() as tx:
            items = tx.registry.search_versions(node, order, offset, limit + 1,
                                                deleted=deleted, readable=readable)
        return page_of(items, offset, limit)

    def update_version(self, actor: Principal, name: str, version: int | str,
                       description: str) -> ModelVersion:
        description = check_description(description)
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            tx.registry.update_version(v.id, now, actor.name, description=description)
            ev.on_version(tx, now, actor, ev.VersionUpdated(v.description, description), model, v)
            return tx.registry.version_entity(version_by_id(tx, v.id))

    def set_version_tag(self, actor: Principal, name: str, version: int | str, key: str,
                        value: str) -> None:
        key, value = check_tag(key, value, tag_limit(str(key)))
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            tx.registry.set_version_tag(v.id, key, value)
            ev.on_version(tx, now, actor, ev.VersionTagSet(key, value), model, v)

    def delete_version_tag(self, actor: Principal, name: str, version: int | str,
                           key: str) -> None:
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.WRITE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            if not tx.registry.delete_version_tag(v.id, key):
                raise NoSuchTag(f"version {name}/{v.version} has no tag {key!r}")
            ev.on_version(tx, now, actor, ev.VersionTagDeleted(key), model, v)

    def delete_version(self, actor: Principal, name: str, version: int | str) -> None:
        """Soft delete; the aliases that pointed at the version are removed with it."""
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version))
            self._allow(actor, Permission.MANAGE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            dropped = tx.registry.aliases_of(model.id, v.version)
            tx.registry.delete_aliases_of(model.id, v.version)
            for alias in dropped:
                tx.governance.move_alias(model.id, alias, None, now, actor.name, "delete", None)
            tx.registry.set_version_deleted(v.id, now, now, actor.name)
            ev.on_version(tx, now, actor, ev.VersionDeleted(dropped, v.stage), model, v)

    def restore_version(self, actor: Principal, name: str, version: int) -> ModelVersion:
        with self.store.write() as tx:
            model, v = find_version(tx, self.policy, ref_from_parts(name, version),
                                    deleted=True)
            self._allow(actor, Permission.MANAGE, model)
            now = self.clock.now_ms()
            tx.registry.touch_model(model.id, now, actor.name)
            tx.registry.set_version_deleted(v.id, None, now, actor.name)
            ev.on_version(tx, now, actor, ev.VersionRestored(), model, v)
            return tx.registry.version_entity(version_by_id(tx, v.id))

    def latest_versions(self, actor: Principal, name: str,
                        stages: list[str] | None = None) -> list[ModelVersion]:
        """The latest version in each of ``stages`` (every stage when None), in one read;
        stages without a version are left out (MLflow's GetLatestVersions)."""
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            return self._latest_in(tx, model, stages)

    def model_with_latest(self, actor: Principal,
                          name: str) -> tuple[RegisteredModel, list[ModelVersion]]:
        """:meth:`get_model` and, when it has versions, :meth:`latest_versions` of every
        stage, in one read (the mlflow client asks for both before every alias move)."""
        with self.store.read() as tx:
            model = find_model(tx, name)
            self._allow(actor, Permission.READ, model)
            entity = tx.registry.model_entity(model)
            latest = self._latest_in(tx, model, None) if entity.latest_version else []
            return entity, latest

    def _latest_in(self, tx: Transaction, model: ModelRecord,
                   stages: list[str] | None) -> list[ModelVersion]:
        policy = self._policy(tx, model)
        wanted = [policy.canonical(st) for st in stages] if stages else list(policy.stages)
        found = [tx.registry.latest_version(model.id, st) for st in dict.fromkeys(wanted)]
        return tx.registry.version_entities([v for v in found if v is not None])

    def latest_versions_of(self, actor: Principal,
                           names: list[str]) -> dict[str, list[ModelVersion]]:
        """:meth:`latest_versions` (every stage) for a page of models, in one read."""
        with self.store.read() as tx:
            names = sorted(self._readable(tx, actor, names))
            versions = tx.registry.version_entities(tx.registry.latest_by_stage(list(names)))
        out: dict[str, list[ModelVersion]] = {n: [] for n in names}
        for v in versions:
            out[v.model].append(v)
        return out

    def file_entry(self, actor: Principal, ref: VersionRef | str, path: str) -> FileEntry:
        check_relpath(path)
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        with self.store.read() as tx:
            model, v = find_version(tx, self.policy, ref)
            self._allow(actor, Permission.READ, model)
            entry = tx.registry.file(v.id, path)
        if entry is None:
            raise NotFound(f"version {ref} has no file {path!r}")
        return entry


def _check_metrics(metrics: object) -> dict[str, float]:
    if not metrics:
        return {}
    if not isinstance(metrics, dict):
        raise InvalidParameter("metrics must be an object of names and numbers")
    out = {}
    for k, v in metrics.items():
        check_tag(k, "")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(float(v)):
            raise InvalidParameter(f"metric {k!r} must be a number")
        out[k] = float(v)
    return out
