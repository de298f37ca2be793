"""DatasetService: datasets as versioned, content-addressed manifests with a profile.

A dataset version is a manifest of files (path, size, sha256) like a model version,
its digest (sha256 of the manifest), and a profile (schema, row count, column
statistics) computed by the client that has the bytes.  Registering the same content
again returns the existing version.  A version known only by digest (an MLflow
``log_input`` of a dataset we never saw) has no files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain.entities import Dataset, DatasetVersion, FileEntry, Page, Principal
from modelyard.domain.paging import decode_token, page_of
from modelyard.domain.manifests import check_blobs_present
from modelyard.domain.ports import BlobStore, Clock, MetadataStore, SystemClock, Transaction
from modelyard.domain.records import DatasetRecord, DatasetVersionRecord
from modelyard.domain.validation import (
    check_description,
    check_int,
    check_manifest,
    check_max_results,
    check_name,
    check_tag,
    check_tags,
    check_text,
    is_ascii_int,
)
from modelyard.errors import InvalidParameter, NotFound

MAX_PROFILE_BYTES = 1 << 20
MAX_CONTEXT = 64
MAX_INPUT_TAG_VALUE = 500  # as MLflow


def manifest_digest(files: list[FileEntry]) -> str:
    """The digest of a manifest: the same files give the same digest in any order."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.path):
        h.update(f"{f.path}\x00{f.size}\x00{f.sha256}\n".encode())
    return h.hexdigest()


def _profile(value: object) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = {"text": value}
    if not isinstance(value, dict):
        raise InvalidParameter("profile must be a JSON object")
    if len(json.dumps(value, default=str)) > MAX_PROFILE_BYTES:
        raise InvalidParameter(f"profile is larger than {MAX_PROFILE_BYTES} bytes")
    return value


def parse_dataset_ref(ref: object) -> tuple[str, int | str]:
    """``name/3``, ``name@3``, ``name/latest`` or ``name`` (the latest)."""
    if not isinstance(ref, str) or not ref:
        raise InvalidParameter("a dataset reference must be a non-empty string")
    body = ref[len("dataset:"):] if ref.startswith("dataset:") else ref
    for sep in ("/", "@"):
        name, found, spec = body.rpartition(sep)
        if found and name:
            return name, check_int(spec, "version") if is_ascii_int(spec) else spec
    return body, "latest"


def create_version(tx: Transaction, now: int, actor: Principal, name: str, files: list[FileEntry], *,
                   digest: str | None = None, source: str = "", source_type: str = "",
                   description: str = "", profile: dict[str, Any] | None = None,
                   tags: dict[str, str] | None = None) -> tuple[int, bool]:
    """Find the version of ``name`` with this content, or add one; (id, created)."""
    digest = digest or manifest_digest(files)
    did = tx.datasets.dataset_locked(name, now, actor.name)
    existing = tx.datasets.version_by_digest(did, digest)
    if existing is not None:
        return existing.id, False
    number = tx.datasets.next_version(did)
    vid = tx.datasets.insert_version(
        did, number, digest=digest, source=source, source_type=source_type,
        description=description, profile=profile, tags=tags or {}, files=files, now=now,
        actor=actor.name)
    ev.record(tx, now, actor, ev.DatasetVersionCreated(digest, len(files), source), "dataset",
              f"{name}/{number}", key=vid)
    return vid, True


def _input_tags(value: object) -> dict[str, str]:
    """An input's tags besides its context (MLflow's input tags: values of at most
    500 characters)."""
    if not value:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter("input tags must be an object of strings")
    return dict(check_tag(k, v, MAX_INPUT_TAG_VALUE) for k, v in value.items())


def resolve_inputs(tx: Transaction, now: int, actor: Principal,
                   items: Iterable[Any]) -> list[tuple[int, str, str, dict[str, str]]]:
    """Dataset inputs of a run -> [(dataset version id, context, "name/version", tags)]."""
    out = []
    for item in items or ():
        context = ""
        tags: dict[str, str] = {}
        name: object
        spec: object
        if isinstance(item, DatasetVersion):
            name, spec = item.name, item.version
        elif isinstance(item, str):
            name, spec = parse_dataset_ref(item)
        elif isinstance(item, dict):
            context = check_text(item.get("context") or "", "context", MAX_CONTEXT)
            tags = _input_tags(item.get("tags"))
            nested = item.get("dataset")
            ds: dict[str, Any] = nested if isinstance(nested, dict) else item
            name = ds.get("name")
            spec = ds.get("version")
            if spec is None and ds.get("digest"):
                vid, _ = create_version(
                    tx, now, actor, check_name(name, "dataset name"), [],
                    digest=check_text(ds.get("digest"), "digest", 64),
                    source=check_text(ds.get("source"), "source", 65536),
                    source_type=check_text(ds.get("source_type"), "source_type", 64),
                    profile=_profile({k: ds[k] for k in ("schema", "profile") if ds.get(k)}))
                out.append((vid, context, _version_by_id(tx, vid).ref, tags))
                continue
            if spec is None:
                spec = "latest"
        else:
            raise InvalidParameter("a dataset input is a DatasetVersion, 'name/version' or an object")
        found_version = find_dataset_version(tx, name, spec)
        out.append((found_version.id, context, found_version.ref, tags))
    return out


def _version_by_id(tx: Transaction, version_id: int) -> DatasetVersionRecord:
    found = tx.datasets.version_by_id(version_id)
    if found is None:
        raise NotFound(f"dataset version {version_id} does not exist")
    return found


def find_dataset(tx: Transaction, name: object) -> DatasetRecord:
    found = tx.datasets.dataset(name) if isinstance(name, str) else None
    if found is None:
        raise NotFound(f"dataset {name!r} does not exist")
    return found


def find_dataset_version(tx: Transaction, name: object, spec: object) -> DatasetVersionRecord:
    if not isinstance(name, str) or not name:
        raise InvalidParameter("dataset name must be a non-empty string")
    dataset = find_dataset(tx, name)
    if isinstance(spec, str) and is_ascii_int(spec):
        spec = int(spec)
    row: DatasetVersionRecord | None
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec = check_int(spec, "dataset version")
        row = tx.datasets.version(dataset.id, spec)
    elif spec == "latest":
        row = tx.datasets.latest_version(dataset.id)
    else:
        raise InvalidParameter(f"dataset version must be a number or 'latest', not {spec!r}")
    if row is None:
        raise NotFound(f"dataset {name!r} has no version {spec}")
    return row


class DatasetService:
    def __init__(self, store: MetadataStore, blobs: BlobStore, clock: Clock | None = None) -> None:
        self.store = store
        self.blobs = blobs
        self.clock = clock or SystemClock()

    def create_dataset_version(self, actor: Principal, name: str, files: list[FileEntry], *,
                               profile: dict[str, Any] | None = None, source: str = "",
                               source_type: str = "", description: str = "",
                               tags: dict[str, str] | None = None,
                               digest: str | None = None) -> DatasetVersion:
        """Commit a dataset version whose files are already in the blob store; the same
        content registered again returns the version that has it."""
        check_name(name, "dataset name")
        entries = check_manifest(files)
        if not entries and not digest:
            raise InvalidParameter("a dataset version needs files or a digest")
        checked_digest = check_text(digest, "digest", 64) or None
        source = check_text(source, "source", 65536)
        source_type = check_text(source_type, "source_type", 64)
        description = check_description(description)
        checked_profile = _profile(profile)
        checked_tags = check_tags(tags)
        with self.store.write() as tx:
            check_blobs_present(tx, self.blobs, entries)
            now = self.clock.now_ms()
            vid, _ = create_version(tx, now, actor, name, entries, digest=checked_digest,
                                    source=source, source_type=source_type,
                                    description=description, profile=checked_profile,
                                    tags=checked_tags)
            return tx.datasets.version_entity(_version_by_id(tx, vid), with_files=True)

    def get_dataset_version(self, actor: Principal, name: str, version: int | str = "latest",
                            *, with_files: bool = True) -> DatasetVersion:
        with self.store.read() as tx:
            found = find_dataset_version(tx, name, version)
            return tx.datasets.version_entity(found, with_files=with_files)

    def resolve(self, actor: Principal, ref: str, *, with_files: bool = True) -> DatasetVersion:
        return self.get_dataset_version(actor, *parse_dataset_ref(ref), with_files=with_files)

    def get_dataset(self, actor: Principal, name: str) -> Dataset:
        with self.store.read() as tx:
            return tx.datasets.dataset_entity(find_dataset(tx, name))

    def list_datasets(self, actor: Principal, name_like: str | None = None,
                      max_results: int | None = None,
                      page_token: str | None = None) -> Page[Dataset]:
        limit = check_max_results(max_results)
        offset = decode_token(page_token)
        with self.store.read() as tx:
            items = tx.datasets.list_datasets(name_like, offset, limit + 1)
        return page_of(items, offset, limit)

    def list_dataset_versions(self, actor: Principal, name: str) -> list[DatasetVersion]:
        with self.store.read() as tx:
            return tx.datasets.versions_of(find_dataset(tx, name).id)
