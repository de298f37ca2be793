"""The DVC remote, as the domain offers it: each project's object index over the one
content-addressed blob store.

- An object is named by DVC's id: the md5 of its bytes (32 hex digits), ``.dir``
  appended for a directory manifest.  The bytes are stored once under their sha256
  (the key of record); the project's index maps the md5 id to that sha256, so bytes a
  model version, a run or another project already holds are not stored again.
- An upload is hashed twice as it streams (md5 and sha256); it becomes visible only
  when the md5 matches the id it was pushed under: the blob is committed, then the
  index row is written in a transaction holding the blob lock, which orders it against
  garbage collection.  A mismatch stores nothing.
- Permissions are the project's: a viewer reads (pull, fetch, status), an editor
  pushes.  A pushed blob is readable through the project's index like a manifest
  (``AccessService.blob_readable`` counts it), and garbage collection keeps it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from modelyard.domain import events as ev
from modelyard.domain.access import AccessService
from modelyard.domain.dvc_records import DvcObject
from modelyard.domain.entities import Principal
from modelyard.domain.permissions import DEFAULT_PROJECT
from modelyard.domain.ports import BlobStore, BlobWriter, Clock, MetadataStore, SystemClock
from modelyard.domain.roles import Permission
from modelyard.errors import DigestMismatch, InvalidParameter, NotFound

OID = re.compile(r"[0-9a-f]{32}(?:\.dir)?")
MAX_RESOLVE = 10_000


def check_oid(oid: str) -> str:
    if not OID.fullmatch(oid):
        raise InvalidParameter("a DVC object id is 32 lowercase hex digits (md5), "
                               "optionally followed by .dir")
    return oid


class DvcRemoteService:
    def __init__(self, store: MetadataStore, blobs: BlobStore, access: AccessService,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.blobs = blobs
        self.access = access
        self.clock = clock or SystemClock()
        # Project name -> id: projects are never renamed or deleted, so a found id stays
        # right (a miss is never kept); it saves a transaction on every object request.
        self._ids: dict[str, int] = {}

    def _project_id(self, project: str) -> int | None:
        pid = self._ids.get(project)
        if pid is None:
            with self.store.read() as tx:
                pid = tx.registry.project_id(project)
            if pid is not None and len(self._ids) < 10_000:
                self._ids[project] = pid
        return pid

    def _project(self, actor: Principal, project: str, permission: Permission) -> int:
        hide = f"project {project!r} does not exist"
        pid = self._project_id(project)
        if pid is None and project == DEFAULT_PROJECT and permission is Permission.WRITE:
            pid = self._default_project(actor)
        if pid is None:
            # Say the same whether the project is missing or invisible.
            self.access.require(actor, Permission.READ, project_id=-1, hide=hide)
            raise NotFound(hide)
        self.access.require(actor, permission, project_id=pid, hide=hide)
        return pid

    def _default_project(self, actor: Principal) -> int:
        """The default project exists lazily (as ``domain/projects.py`` has it)."""
        self.access.require(actor, Permission.WRITE, project_id=self.access.default_project_id()
                            or -1)  # no secret: the missing role is the answer
        with self.store.write() as tx:
            pid = tx.registry.project_id(DEFAULT_PROJECT)
            if pid is None:
                now = self.clock.now_ms()
                pid = tx.registry.insert_project(DEFAULT_PROJECT, "The default project", now,
                                                 actor.name)
                ev.record(tx, now, actor, ev.ProjectCreated(), "project", DEFAULT_PROJECT,
                          DEFAULT_PROJECT, key=pid)
        return pid

    # -- reading ----------------------------------------------------------------------
    def find(self, actor: Principal, project: str, oid: str) -> DvcObject:
        """The object ``oid`` of the project's remote (NotFound when not pushed)."""
        pid = self._project(actor, project, Permission.READ)
        with self.store.read() as tx:
            found = tx.dvc.get(pid, check_oid(oid))
        if found is None or not self.blobs.has(found.sha256):
            raise NotFound(f"object {oid} is not in the remote of project {project!r}")
        return found

    def resolve(self, actor: Principal, project: str, oids: list[str]) -> dict[str, DvcObject]:
        """The objects of ``oids`` the project's remote holds (the md5 -> sha256 index),
        so a client can reference pushed bytes without sending them again."""
        if len(oids) > MAX_RESOLVE:
            raise InvalidParameter(f"at most {MAX_RESOLVE} object ids per call")
        for oid in oids:
            check_oid(oid)
        pid = self._project(actor, project, Permission.READ)
        out: dict[str, DvcObject] = {}
        with self.store.read() as tx:
            for oid in dict.fromkeys(oids):
                found = tx.dvc.get(pid, oid)
                if found is not None:
                    out[oid] = found
        present = set(self.blobs.missing(o.sha256 for o in out.values()))
        return {k: v for k, v in out.items() if v.sha256 not in present}

    def reader(self, actor: Principal, project: str, oid: str) -> ObjectReader:
        """The bytes of one pushed object, for a streaming response."""
        return ObjectReader(self.blobs, self.find(actor, project, oid).sha256)


    # -- pushing ----------------------------------------------------------------------
    def upload(self, actor: Principal, project: str, oid: str, max_size: int) -> DvcUpload:
        """A streaming upload of object ``oid``: ``write`` chunks, then ``commit``
        (verifies the md5, stores the blob, indexes it) or ``abort``."""
        pid = self._project(actor, project, Permission.WRITE)
        return DvcUpload(self, actor, pid, check_oid(oid), self.blobs.writer(None, max_size))

    def _index(self, actor: Principal, pid: int, oid: str, sha256: str, size: int) -> None:
        with self.store.write() as tx:
            tx.lock_blobs()  # a collection cannot delete the blob before the row exists
            if not self.blobs.has(sha256):
                raise InvalidParameter("the uploaded object vanished before it was indexed; "
                                       "push again")
            tx.dvc.put(DvcObject(project_id=pid, oid=oid, sha256=sha256, size=size,
                                 is_dir=oid.endswith(".dir"), created_at=self.clock.now_ms(),
                                 created_by=actor.name))

    def add_existing(self, actor: Principal, project: str, oid: str, sha256: str,
                     size: int) -> None:
        """Index a blob already stored (and checked by the caller) under ``oid``."""
        pid = self._project(actor, project, Permission.WRITE)
        self._index(actor, pid, check_oid(oid), sha256, size)


class DvcUpload:
    """An object being pushed; see :meth:`DvcRemoteService.upload`."""

    def __init__(self, service: DvcRemoteService, actor: Principal, project_id: int, oid: str,
                 writer: BlobWriter) -> None:
        self.service = service
        self.actor = actor
        self.project_id = project_id
        self.oid = oid
        self.writer = writer
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.digest: str | None = None

    def write(self, chunk: bytes) -> None:
        self.md5.update(chunk)
        self.writer.write(chunk)

    def commit(self, expected_size: int | None = None) -> int:
        if self.md5.hexdigest() != self.oid.removesuffix(".dir"):
            self.writer.abort()
            raise DigestMismatch(f"object {self.oid}: the md5 of the uploaded bytes is "
                                   f"{self.md5.hexdigest()}; nothing was stored")
        size = self.writer.commit(expected_size)
        assert self.writer.digest is not None
        self.digest = self.writer.digest
        self.service._index(self.actor, self.project_id, self.oid, self.digest, size)
        return size

    def abort(self) -> None:
        self.writer.abort()


class ObjectReader:
    """The bytes of one blob whose reading was allowed (``server/streaming.py`` takes an
    object with ``local_path``, ``size`` and ``read_chunks``)."""

    def __init__(self, blobs: BlobStore, sha256: str) -> None:
        self.blobs = blobs
        self.sha256 = sha256

    def _check(self, digest: str) -> str:
        if digest != self.sha256:
            raise NotFound(f"blob {digest} does not exist")
        return digest

    def local_path(self, digest: str) -> str | None:
        return self.blobs.local_path(self._check(digest))

    def size(self, digest: str) -> int:
        return self.blobs.size(self._check(digest))

    def read_chunks(self, digest: str, start: int = 0,
                    end: int | None = None) -> Iterator[bytes]:
        return self.blobs.read_chunks(self._check(digest), start, end)
