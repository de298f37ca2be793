"""RegistryService: registered models, versions, tags, aliases and stages.

Every method takes the acting :class:`Principal`, runs in one store transaction and
writes its event in that same transaction.
"""

from __future__ import annotations

import math
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import (
    FileEntry,
    ModelVersion,
    Page,
    Principal,
    Project,
    RegisteredModel,
)
from modelyard.domain.lifecycle import DEFAULT_POLICY, StagePolicy
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock
from modelyard.domain.refs import VersionRef, parse_ref, ref_from_parts
from modelyard.domain.search import FieldSet, parse_filter, parse_order_by
from modelyard.domain.validation import (
    check_alias,
    check_description,
    check_manifest,
    check_max_results,
    check_name,
    check_relpath,
    check_tag,
    check_tags,
    check_text,
)
from modelyard.errors import InvalidParameter, NotFound

DEFAULT_PROJECT = "default"

MODEL_FIELDS = FieldSet(
    attributes={
        "name": "name", "description": "description", "project": "project",
        "created_at": "created_at", "creation_timestamp": "created_at",
        "updated_at": "updated_at", "last_updated_timestamp": "updated_at",
        "created_by": "created_by", "user_id": "created_by",
    },
    numeric=frozenset({"created_at", "updated_at"}),
)

VERSION_FIELDS = FieldSet(
    attributes={
        "name": "model", "model": "model", "version": "version",
        "version_number": "version", "stage": "stage", "current_stage": "stage",
        "status": "status", "description": "description", "source": "source",
        "run_id": "run_id", "flavor": "flavor", "size": "size", "alias": "alias",
        "created_at": "created_at", "creation_timestamp": "created_at",
        "updated_at": "updated_at", "last_updated_timestamp": "updated_at",
        "created_by": "created_by", "user_id": "created_by", "project": "project",
    },
    numeric=frozenset({"version", "size", "created_at", "updated_at"}),
)

RELATIONS = ("derived_from", "fine_tuned_from", "distilled_from", "retrained_from")


class RegistryService:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None,
                 policy: StagePolicy = DEFAULT_POLICY) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()
        self.policy = policy

    # -- projects ---------------------------------------------------------------------
    def _project_id(self, tx: Any, name: str, actor: Principal) -> int:
        pid = tx.registry.project_id(name)
        if pid is not None:
            return int(pid)
        if name != DEFAULT_PROJECT:
            raise NotFound(f"project {name!r} does not exist")
        now = self.clock.now_ms()
        pid = tx.registry.insert_project(name, "The default project", now, actor.name)
        ev.record(tx, now, actor, ev.PROJECT_CREATED, "project", name, name)
        return int(pid)

    def create_project(self, actor: Principal, name: str, description: str = "") -> Project:
        check_name(name, "project name")
        description = check_description(description)
        with self.store.write() as tx:
            now = self.clock.now_ms()
            if name != DEFAULT_PROJECT or tx.registry.project_id(name) is not None:
                tx.registry.insert_project(name, description, now, actor.name)
                ev.record(tx, now, actor, ev.PROJECT_CREATED, "project", name, name)
            else:
                self._project_id(tx, name, actor)
        return Project(name=name, description=description, created_at=now, created_by=actor.name)

    def list_projects(self, actor: Principal) -> list[Project]:
        with self.store.read() as tx:
            return tx.registry.list_projects()  # type: ignore[no-any-return]

    # -- registered models ------------------------------------------------------------
    def _model(self, tx: Any, name: str, *, deleted: bool = False) -> Any:
        if not isinstance(name, str) or not name:
            raise InvalidParameter("model name must be a non-empty string")
        row = tx.registry.model_row(name, deleted=deleted)
        if row is None:
            what = "deleted registered model" if deleted else "registered model"
            raise NotFound(f"{what} {name!r} does not exist")
        return row

    def create_model(self, actor: Principal, name: str, description: str = "",
                     tags: dict[str, str] | None = None,
                     project: str = DEFAULT_PROJECT) -> RegisteredModel:
        check_name(name, "model name")
        description = check_description(description)
        tags = check_tags(tags)
        with self.store.write() as tx:
            now = self.clock.now_ms()
            pid = self._project_id(tx, project or DEFAULT_PROJECT, actor)
            mid = tx.registry.insert_model(name, pid, description, now, actor.name)
            for k, v in tags.items():
                tx.registry.set_model_tag(mid, k, v)
            model = tx.registry.model_entity(tx.registry.model_row(name))
            ev.record(tx, now, actor, ev.MODEL_CREATED, "model", name, model.project,
                      after={"description": description, "tags": tags})
            return model  # type: ignore[no-any-return]

    def get_model(self, actor: Principal, name: str, *, deleted: bool = False) -> RegisteredModel:
        with self.store.read() as tx:
            return tx.registry.model_entity(self._model(tx, name, deleted=deleted))  # type: ignore[no-any-return]

    def search_models(self, actor: Principal, filter: str | None = None,
                      order_by: list[str] | None = None, max_results: int | None = None,
                      page_token: str | None = None, *, deleted: bool = False) -> Page[RegisteredModel]:
        node = parse_filter(filter, MODEL_FIELDS)
        order = parse_order_by(order_by, MODEL_FIELDS)
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            items = tx.registry.search_models(node, order, offset, limit + 1, deleted=deleted)
        return page_of(items, offset, limit)

    def update_model(self, actor: Principal, name: str, description: str) -> RegisteredModel:
        description = check_description(description)
        with self.store.write() as tx:
            row = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.touch_model(row["id"], now, actor.name, description=description)
            ev.record(tx, now, actor, ev.MODEL_UPDATED, "model", name, row["project"],
                      before={"description": row["description"]},
                      after={"description": description})
            return tx.registry.model_entity(tx.registry.model_row(name))  # type: ignore[no-any-return]

    def rename_model(self, actor: Principal, name: str, new_name: str) -> RegisteredModel:
        check_name(new_name, "model name")
        with self.store.write() as tx:
            row = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.touch_model(row["id"], now, actor.name, name=new_name)
            ev.record(tx, now, actor, ev.MODEL_RENAMED, "model", new_name, row["project"],
                      before={"name": name}, after={"name": new_name})
            return tx.registry.model_entity(tx.registry.model_row(new_name))  # type: ignore[no-any-return]

    def set_model_tag(self, actor: Principal, name: str, key: str, value: str) -> None:
        key, value = check_tag(key, value)
        with self.store.write() as tx:
            row = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.touch_model(row["id"], now, actor.name)
            tx.registry.set_model_tag(row["id"], key, value)
            ev.record(tx, now, actor, ev.MODEL_TAG_SET, "model", name, row["project"],
                      after={"key": key, "value": value})

    def delete_model_tag(self, actor: Principal, name: str, key: str) -> None:
        with self.store.write() as tx:
            row = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.touch_model(row["id"], now, actor.name)
            if not tx.registry.delete_model_tag(row["id"], key):
                raise NotFound(f"model {name!r} has no tag {key!r}")
            ev.record(tx, now, actor, ev.MODEL_TAG_DELETED, "model", name, row["project"],
                      before={"key": key})

    def delete_model(self, actor: Principal, name: str) -> None:
        """Soft delete: hidden from reads and searches, restorable until collected."""
        with self.store.write() as tx:
            row = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.set_model_deleted(row["id"], now, actor.name)
            ev.record(tx, now, actor, ev.MODEL_DELETED, "model", name, row["project"])

    def restore_model(self, actor: Principal, name: str) -> RegisteredModel:
        with self.store.write() as tx:
            row = self._model(tx, name, deleted=True)
            now = self.clock.now_ms()
            tx.registry.set_model_deleted(row["id"], None, actor.name)
            tx.registry.touch_model(row["id"], now, actor.name)
            ev.record(tx, now, actor, ev.MODEL_RESTORED, "model", name, row["project"])
            return tx.registry.model_entity(tx.registry.model_row(name))  # type: ignore[no-any-return]

    # -- versions ---------------------------------------------------------------------
    def create_version(self, actor: Principal, name: str, files: list[FileEntry], *,
                       description: str = "", tags: dict[str, str] | None = None,
                       source: str = "", run_id: str | None = None, flavor: str = "",
                       signature: dict[str, Any] | None = None,
                       metrics: dict[str, float] | None = None,
                       parents: list[Any] | None = None) -> ModelVersion:
        """Commit a version whose files are already in the blob store.

        The number is assigned here, under the model's row lock, so concurrent
        registrations get consecutive numbers; the version is READY when visible."""
        description = check_description(description)
        tags = check_tags(tags)
        metrics = _check_metrics(metrics)
        flavor = check_text(flavor, "flavor", 64)
        source = check_text(source, "source", 4096)
        run_id = check_text(run_id, "run_id", 64) or None
        if signature is not None and not isinstance(signature, dict):
            raise InvalidParameter("signature must be an object")
        files = check_manifest(files)
        self._check_blobs(files)
        with self.store.write() as tx:
            row = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.touch_model(row["id"], now, actor.name)
            number = tx.registry.next_version(row["id"])
            vid = tx.registry.insert_version(
                row["id"], number, status="READY", description=description, source=source,
                run_id=run_id, flavor=flavor, signature=signature, metrics=metrics,
                files=files, tags=tags, now=now, actor=actor.name)
            for parent, relation in self._parents(tx, parents):
                tx.registry.add_parent(vid, parent, relation)
            version = tx.registry.version_entity(tx.registry.version_by_id(vid), name)
            ev.record(tx, now, actor, ev.VERSION_CREATED, "version", f"{name}/{number}",
                      row["project"], after={"files": len(files), "size": version.size,
                                             "run_id": run_id, "source": source})
            return version  # type: ignore[no-any-return]

    def _check_blobs(self, files: list[FileEntry]) -> None:
        missing = self.blobs.missing(f.sha256 for f in files)
        if missing:
            raise InvalidParameter(
                f"{len(missing)} file(s) were not uploaded (first: sha256 {missing[0]}); "
                "upload the missing blobs, then commit again")
        for f in files:
            actual = self.blobs.size(f.sha256)
            if actual != f.size:
                raise InvalidParameter(
                    f"file {f.path!r}: manifest says {f.size} bytes, blob has {actual}")

    def _parents(self, tx: Any, parents: list[Any] | None) -> list[tuple[int, str]]:
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
            _, vrow = self._resolve(tx, ref)
            out.append((vrow["id"], relation))
        return out

    def _resolve(self, tx: Any, ref: VersionRef, *, deleted: bool = False) -> tuple[Any, Any]:
        mrow = self._model(tx, ref.model)
        number = ref.version
        if ref.alias is not None:
            number = tx.registry.alias_version(mrow["id"], ref.alias)
            if number is None:
                raise NotFound(f"model {ref.model!r} has no alias {ref.alias!r}")
        elif ref.selector is not None:
            stage = None if ref.selector.lower() == "latest" else self.policy.canonical(ref.selector)
            vrow = tx.registry.latest_version_row(mrow["id"], stage)
            if vrow is None:
                where = "" if stage is None else f" in stage {stage}"
                raise NotFound(f"model {ref.model!r} has no version{where}")
            return mrow, vrow
        vrow = tx.registry.version_row(mrow["id"], number, deleted=deleted)
        if vrow is None:
            what = "deleted version" if deleted else "version"
            raise NotFound(f"{what} {number} of model {ref.model!r} does not exist")
        return mrow, vrow

    def get_version(self, actor: Principal, name: str, version: int | str, *,
                    with_files: bool = False) -> ModelVersion:
        return self.resolve(actor, ref_from_parts(name, version), with_files=with_files)

    def resolve(self, actor: Principal, ref: VersionRef | str, *,
                with_files: bool = False) -> ModelVersion:
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        with self.store.read() as tx:
            if ref.alias is not None or ref.version is not None:
                # One query on the hot path; the full resolution below says what is
                # missing when it finds nothing.
                row = tx.registry.live_version_row(ref.model, number=ref.version,
                                                   alias=ref.alias)
                if row is not None:
                    return tx.registry.version_entity(row, ref.model, with_files=with_files)  # type: ignore[no-any-return]
            mrow, vrow = self._resolve(tx, ref)
            return tx.registry.version_entity(vrow, mrow["name"], with_files=with_files)  # type: ignore[no-any-return]

    def search_versions(self, actor: Principal, filter: str | None = None,
                        order_by: list[str] | None = None, max_results: int | None = None,
                        page_token: str | None = None, *, deleted: bool = False) -> Page[ModelVersion]:
        node = parse_filter(filter, VERSION_FIELDS)
        order = parse_order_by(order_by, VERSION_FIELDS)
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            items = tx.registry.search_versions(node, order, offset, limit + 1, deleted=deleted)
        return page_of(items, offset, limit)

    def update_version(self, actor: Principal, name: str, version: int | str,
                       description: str) -> ModelVersion:
        description = check_description(description)
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version))
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            tx.registry.update_version(vrow["id"], now, actor.name, description=description)
            ev.record(tx, now, actor, ev.VERSION_UPDATED, "version", f"{name}/{vrow['version']}",
                      mrow["project"], before={"description": vrow["description"]},
                      after={"description": description})
            return tx.registry.version_entity(tx.registry.version_by_id(vrow["id"]), name)  # type: ignore[no-any-return]

    def set_version_tag(self, actor: Principal, name: str, version: int | str, key: str,
                        value: str) -> None:
        key, value = check_tag(key, value)
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version))
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            tx.registry.set_version_tag(vrow["id"], key, value)
            ev.record(tx, now, actor, ev.VERSION_TAG_SET, "version", f"{name}/{vrow['version']}",
                      mrow["project"], after={"key": key, "value": value})

    def delete_version_tag(self, actor: Principal, name: str, version: int | str,
                           key: str) -> None:
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version))
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            if not tx.registry.delete_version_tag(vrow["id"], key):
                raise NotFound(f"version {name}/{vrow['version']} has no tag {key!r}")
            ev.record(tx, now, actor, ev.VERSION_TAG_DELETED, "version",
                      f"{name}/{vrow['version']}", mrow["project"], before={"key": key})

    def delete_version(self, actor: Principal, name: str, version: int | str) -> None:
        """Soft delete; the aliases that pointed at the version are removed with it."""
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version))
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            dropped = tx.registry.aliases_of(mrow["id"], vrow["version"])
            tx.registry.delete_aliases_of(mrow["id"], vrow["version"])
            tx.registry.update_version(vrow["id"], now, actor.name, deleted_at=now)
            ev.record(tx, now, actor, ev.VERSION_DELETED, "version", f"{name}/{vrow['version']}",
                      mrow["project"], before={"aliases": dropped, "stage": vrow["stage"]})

    def restore_version(self, actor: Principal, name: str, version: int) -> ModelVersion:
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version), deleted=True)
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            tx.registry.update_version(vrow["id"], now, actor.name, deleted_at=None)
            ev.record(tx, now, actor, ev.VERSION_RESTORED, "version", f"{name}/{vrow['version']}",
                      mrow["project"])
            return tx.registry.version_entity(tx.registry.version_by_id(vrow["id"]), name)  # type: ignore[no-any-return]

    def transition_stage(self, actor: Principal, name: str, version: int | str, stage: str,
                         *, archive_existing: bool = False) -> ModelVersion:
        target = self.policy.canonical(stage)
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version))
            self.policy.check_transition(vrow["stage"], target)
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            tx.registry.update_version(vrow["id"], now, actor.name, stage=target)
            archived = []
            if archive_existing and target in ("Staging", "Production"):
                for other in tx.registry.versions_in_stage(mrow["id"], target):
                    if other["id"] != vrow["id"]:
                        tx.registry.update_version(other["id"], now, actor.name, stage="Archived")
                        archived.append(other["version"])
            ev.record(tx, now, actor, ev.VERSION_STAGE_CHANGED, "version",
                      f"{name}/{vrow['version']}", mrow["project"],
                      before={"stage": vrow["stage"]},
                      after={"stage": target, "archived": archived})
            return tx.registry.version_entity(tx.registry.version_by_id(vrow["id"]), name)  # type: ignore[no-any-return]

    def latest_versions(self, actor: Principal, name: str,
                        stages: list[str] | None = None) -> list[ModelVersion]:
        """The latest version in each of ``stages`` (every stage when None), in one read;
        stages without a version are left out (MLflow's GetLatestVersions)."""
        wanted = [self.policy.canonical(st) for st in stages] if stages else list(
            self.policy.stages)
        with self.store.read() as tx:
            mrow = self._model(tx, name)
            rows = [tx.registry.latest_version_row(mrow["id"], st) for st in dict.fromkeys(wanted)]
            return tx.registry.version_entities(  # type: ignore[no-any-return]
                [(r, mrow["name"]) for r in rows if r is not None])

    def latest_versions_of(self, actor: Principal,
                           names: list[str]) -> dict[str, list[ModelVersion]]:
        """:meth:`latest_versions` (every stage) for a page of models, in one read."""
        with self.store.read() as tx:
            rows = tx.registry.latest_rows_by_stage(list(names))
            versions = tx.registry.version_entities([(r, r["model_name"]) for r in rows])
        out: dict[str, list[ModelVersion]] = {n: [] for n in names}
        for v in versions:
            out[v.model].append(v)
        return out

    def file_entry(self, actor: Principal, ref: VersionRef | str, path: str) -> FileEntry:
        check_relpath(path)
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        with self.store.read() as tx:
            _, vrow = self._resolve(tx, ref)
            entry = tx.registry.file(vrow["id"], path)
        if entry is None:
            raise NotFound(f"version {ref} has no file {path!r}")
        return entry  # type: ignore[no-any-return]

    # -- aliases ----------------------------------------------------------------------
    def set_alias(self, actor: Principal, name: str, alias: str, version: int | str) -> ModelVersion:
        check_alias(alias)
        with self.store.write() as tx:
            mrow, vrow = self._resolve(tx, ref_from_parts(name, version))
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            before = tx.registry.alias_version(mrow["id"], alias)
            tx.registry.set_alias(mrow["id"], alias, vrow["version"], now, actor.name)
            ev.record(tx, now, actor, ev.ALIAS_SET, "alias", f"{name}@{alias}", mrow["project"],
                      before={"version": before}, after={"version": vrow["version"]})
            return tx.registry.version_entity(vrow, name)  # type: ignore[no-any-return]

    def delete_alias(self, actor: Principal, name: str, alias: str) -> None:
        with self.store.write() as tx:
            mrow = self._model(tx, name)
            now = self.clock.now_ms()
            tx.registry.touch_model(mrow["id"], now, actor.name)
            before = tx.registry.alias_version(mrow["id"], alias)
            if not tx.registry.delete_alias(mrow["id"], alias):
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            ev.record(tx, now, actor, ev.ALIAS_DELETED, "alias", f"{name}@{alias}",
                      mrow["project"], before={"version": before})


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
