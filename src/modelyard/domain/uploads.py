"""Upload sessions: one mechanism for every large or direct upload.

A session is created for a blob (its sha256 and size, cut into parts of ``part_size``)
or, for MLflow's multipart API, for a number of parts whose digest is not known until
the end.  Parts arrive through the server (:meth:`UploadService.put_part`) or go
straight to the object storage by presigned URLs (:meth:`UploadService.part_urls`);
:meth:`UploadService.received` lists what the storage holds, so an interrupted upload
resumes by sending only the missing parts.  :meth:`UploadService.complete` has the
store assemble the parts and verify the WHOLE sha256 (and size) before the blob
becomes visible; a mismatch aborts the session and stores nothing.  Sessions live in
the metadata store (so any server process can continue one), expire after a TTL, and
:meth:`UploadService.sweep` (run by ``gc``) aborts expired ones.

A part URL to the server itself (the local folder store, ``proxy``, or an MLflow
client which sends no credential with a part) carries an expiry and an HMAC made with
the session's own secret, like a storage presigned URL: the signature is the
capability, bound to the session, the part number, the expiry and (when announced) the
part's sha256.  Permission to create a session is the rule for uploading a blob; only
its creator may list, presign, complete or abort it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from modelyard.domain.entities import Principal
from modelyard.domain.ports import BlobStore, Clock
from modelyard.domain.validation import check_digest
from modelyard.errors import (
    DigestMismatch,
    InvalidParameter,
    ModelyardError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
)

#: Storage's smallest part but the last (S3's rule, the strictest of the stores).
MIN_PART = 5 << 20
#: Largest part (a proxied part is held in memory while it is stored).
MAX_PART = 64 << 20
DEFAULT_PART = 16 << 20
MAX_PARTS = 10_000
#: Most parts presigned (or sessions created) in one call.
MAX_BATCH = 1000


@dataclass(frozen=True)
class UploadSession:
    id: str
    digest: str | None
    size: int | None
    part_size: int | None
    parts: int
    handle: str
    secret: str
    created_by: str
    created_at: int
    expires_at: int

    def part_length(self, part: int) -> int | None:
        """The exact length part ``part`` (1-based) must have, when the size is known."""
        if self.size is None or self.part_size is None:
            return None
        if part < self.parts:
            return self.part_size
        return self.size - self.part_size * (self.parts - 1)


@dataclass(frozen=True)
class PartTarget:
    """Where to PUT a part: ``url`` (absolute for storage; a server path, starting with
    ``/``, for the server's own part route) and headers to send with it."""

    part: int
    url: str
    headers: dict[str, str]
    direct: bool


class UploadRepository(Protocol):
    def insert(self, session: UploadSession) -> None: ...

    def insert_many(self, sessions: list[UploadSession]) -> None: ...

    def get(self, upload_id: str) -> UploadSession | None: ...

    def delete(self, upload_id: str) -> bool: ...

    def get_many(self, upload_ids: list[str]) -> list[UploadSession]: ...

    def delete_many(self, upload_ids: list[str]) -> None: ...

    def expired(self, now_ms: int, limit: int) -> list[UploadSession]: ...

    def find_live(self, created_by: str, digest: str, size: int, part_size: int,
                  now_ms: int) -> UploadSession | None:
        """A session of ``created_by`` for the same blob cut the same way, not expired
        (what a re-run after an interrupt continues)."""
        ...


def _owner(actor: Principal) -> str:
    return actor.id or actor.name


def part_signature(secret: str, upload_id: str, part: int, expires: int,
                   sha256: str | None) -> str:
    msg = f"{upload_id}:{part}:{expires}:{sha256 or ''}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def check_upload_id(upload_id: str) -> str:
    if len(upload_id) != 32 or any(c not in "0123456789abcdef" for c in upload_id):
        raise NotFound("upload session does not exist")
    return upload_id


class UploadService:
    def __init__(self, repo: UploadRepository, store: BlobStore, clock: Clock,
                 may_upload: Callable[[Principal], None], *, ttl_s: int = 24 * 3600,
                 presign_s: int = 900, direct: bool = True, max_size: int = 50 << 30) -> None:
        self.repo = repo
        self.store = store
        self.clock = clock
        self.may_upload = may_upload
        self.ttl_ms = ttl_s * 1000
        self.presign_s = presign_s
        self.direct = direct
        self.max_size = max_size

    def writes_once(self) -> bool:
        """Whether the store's writer stores a blob only where none is (one conditional
        request) and tells whether it did (``created``)."""
        return bool(getattr(self.store, "writes_once", False))

    def direct_available(self) -> bool:
        """Whether part URLs go to the storage (object storage, direct transfers on)."""
        return self.direct and getattr(self.store, "scheme", "file") != "file"

    # -- sessions ---------------------------------------------------------------------
    def create(self, actor: Principal, digest: str, size: int,
               part_size: int | None = None, *, check_exists: bool = True) -> UploadSession | None:
        """A session for blob ``digest`` of ``size`` bytes; None when the blob is stored
        already (nothing to send)."""
        self.may_upload(actor)
        check_digest(digest)
        if size < 0 or size > self.max_size:
            raise PayloadTooLarge(f"blob of {size} bytes is above the limit of {self.max_size}")
        part_size = part_size or DEFAULT_PART
        if not MIN_PART <= part_size <= MAX_PART:
            raise InvalidParameter(f"part_size must be between {MIN_PART} and {MAX_PART} bytes")
        parts = max(1, -(-size // part_size))
        if parts > MAX_PARTS:
            raise InvalidParameter(f"at most {MAX_PARTS} parts: choose a larger part_size")
        if check_exists and self.store.has(digest):
            return None
        if check_exists:
            live = self.repo.find_live(_owner(actor), digest, size, part_size,
                                       self.clock.now_ms())
            if live is not None and self._resumable(live):
                return live
        return self._open(actor, digest, size, part_size, parts)

    def create_many(self, actor: Principal, blobs: list[tuple[str, int]], *,
                    proxy: bool = False) -> list[tuple[UploadSession, PartTarget]]:
        """One single-part session for each (digest, size) of a small file, with the
        URL of its part; inserted in one transaction.  The caller asked which blobs
        are missing first (``BlobService.missing``): a session for a blob stored
        meanwhile is harmless, its completion writes the same bytes."""
        if len(blobs) > MAX_BATCH:
            raise InvalidParameter(f"at most {MAX_BATCH} blobs per call")
        self.may_upload(actor)
        now = self.clock.now_ms()
        out = []
        for digest, size in blobs:
            check_digest(digest)
            if size < 0 or size > MAX_PART:
                raise InvalidParameter("a batch of sessions is for files of one part "
                                       f"(at most {MAX_PART} bytes)")
            upload_id = secrets.token_hex(16)
            session = UploadSession(upload_id, digest, size, max(size, 1), 1,
                                    self.store.multipart_start(upload_id, 1),
                                    secrets.token_hex(32), _owner(actor), now,
                                    now + self.ttl_ms)
            out.append((session, self._target(session, 1, digest, proxy)))
        try:
            self.repo.insert_many([s for s, _ in out])
        except BaseException:
            for s, _ in out:
                self.store.multipart_abort(s.handle)
            raise
        return out

    def create_by_parts(self, actor: Principal, parts: int) -> UploadSession:
        """A session of ``parts`` parts whose digest and size are known only at the end
        (MLflow's multipart upload)."""
        self.may_upload(actor)
        if not 1 <= parts <= MAX_PARTS:
            raise InvalidParameter(f"num_parts must be between 1 and {MAX_PARTS}")
        return self._open(actor, None, None, None, parts)

    def _open(self, actor: Principal, digest: str | None, size: int | None,
              part_size: int | None, parts: int) -> UploadSession:
        upload_id = secrets.token_hex(16)
        handle = self.store.multipart_start(upload_id, parts, part_checksums=digest is not None)
        now = self.clock.now_ms()
        session = UploadSession(upload_id, digest, size, part_size, parts, handle,
                                secrets.token_hex(32), _owner(actor), now, now + self.ttl_ms)
        try:
            self.repo.insert(session)
        except BaseException:
            self.store.multipart_abort(handle)
            raise
        return session

    def get(self, actor: Principal, upload_id: str) -> UploadSession:
        """The caller's live session (another's, or an expired one, does not exist)."""
        session = self.repo.get(check_upload_id(upload_id))
        if session is None or session.expires_at <= self.clock.now_ms() or (
                session.created_by != _owner(actor) and not actor.is_admin):
            raise NotFound(f"upload session {upload_id} does not exist")
        return session

    def received(self, actor: Principal, upload_id: str) -> dict[int, int]:
        """The parts the storage holds: part number -> size (to resume)."""
        session = self.get(actor, upload_id)
        return self.store.multipart_parts(session.handle)

    # -- parts ------------------------------------------------------------------------
    def part_urls(self, actor: Principal, upload_id: str, parts: list[tuple[int, str | None]],
                  *, proxy: bool = False) -> list[PartTarget]:
        """Where to send each (part, sha256 of the part or None): a presigned storage URL
        (direct) unless the store cannot presign, direct transfers are off or the
        client asks for ``proxy``; else a signed URL of the server's part route."""
        session = self.get(actor, upload_id)
        if len(parts) > MAX_BATCH:
            raise InvalidParameter(f"at most {MAX_BATCH} parts per call")
        out = []
        for part, sha256 in parts:
            self._check_part(session, part)
            if sha256 is not None:
                check_digest(sha256)
            out.append(self._target(session, part, sha256, proxy))
        return out

    def _target(self, session: UploadSession, part: int, sha256: str | None,
                proxy: bool) -> PartTarget:
        if self.direct and not proxy:
            signed = self.store.multipart_presign(session.handle, part, sha256,
                                                  session.part_length(part), self.presign_s)
            if signed is not None:
                return PartTarget(part, signed[0], signed[1], True)
        expires = self.clock.now_ms() // 1000 + self.presign_s
        sig = part_signature(session.secret, session.id, part, expires, sha256)
        query = f"expires={expires}&signature={sig}" + (f"&sha256={sha256}" if sha256 else "")
        return PartTarget(part, f"/api/v1/uploads/{session.id}/parts/{part}?{query}", {}, False)

    def _check_part(self, session: UploadSession, part: int) -> None:
        if not 1 <= part <= session.parts:
            raise InvalidParameter(f"part must be between 1 and {session.parts}")

    def signed_session(self, upload_id: str, part: int, *, expires: int, signature: str,
                       sha256: str | None) -> UploadSession:
        """The session a signed part URL names, checked before a byte of the part is
        read: the signature, not a credential, is the permission."""
        session = self.repo.get(check_upload_id(upload_id))
        now_ms = self.clock.now_ms()
        if session is None or session.expires_at <= now_ms:
            raise NotFound(f"upload session {upload_id} does not exist")
        good = part_signature(session.secret, upload_id, part, expires, sha256)
        if not hmac.compare_digest(good, signature) or expires < now_ms // 1000:
            raise PermissionDenied("the part URL is not valid (expired or altered)")
        self._check_part(session, part)
        return session

    def put_part_signed(self, session: UploadSession, part: int, data: bytes,
                        sha256: str | None) -> str:
        """Store a part sent to a signed URL (:meth:`signed_session` first); returns the
        part's ETag: its sha256 when one was announced, else a tag of this write."""
        return self._store_part(session, part, data, sha256)

    def put_part(self, actor: Principal, upload_id: str, part: int, data: bytes,
                 sha256: str | None) -> str:
        return self._store_part(self.get(actor, upload_id), part, data, sha256)

    def _store_part(self, session: UploadSession, part: int, data: bytes,
                    sha256: str | None) -> str:
        self._check_part(session, part)
        want = session.part_length(part)
        if want is not None and len(data) != want:
            raise InvalidParameter(f"part {part} must have {want} bytes, not {len(data)}")
        if len(data) > MAX_PART and want is None:
            raise PayloadTooLarge(f"a part is at most {MAX_PART} bytes")
        if sha256 is None:  # nobody announced one: the whole is verified at completion
            self.store.multipart_put(session.handle, part, data, None)
            return secrets.token_hex(16)  # an opaque tag of this write of the part
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise DigestMismatch(f"part {part} has sha256 {actual}, not {sha256}; "
                                 "it was not stored")
        self.store.multipart_put(session.handle, part, data, actual)
        return actual

    # -- the end ----------------------------------------------------------------------
    def complete(self, actor: Principal, upload_id: str) -> tuple[str, int]:
        """Assemble the parts, verify the whole sha256 and size, make the blob visible;
        returns (sha256, size).  Any failure but a passing one (storage unavailable)
        aborts the session: nothing unverified is ever visible."""
        session = self.get(actor, upload_id)
        held = self.store.multipart_parts(session.handle) if session.parts > 1 else {1: 0}
        lacking = [n for n in range(1, session.parts + 1) if n not in held]
        if lacking:
            raise InvalidParameter(f"{len(lacking)} part(s) not received yet (first: "
                                   f"{lacking[0]}); send them, then complete again")
        try:
            digest, size = self.store.multipart_complete(
                session.handle, session.parts, session.digest, session.size, self.max_size)
        except (DigestMismatch, PayloadTooLarge):
            self._drop(session)
            raise
        except NotFound:
            raise InvalidParameter("a part of the upload is missing; send it, then complete "
                                   "again") from None
        self.repo.delete(session.id)  # the store removed the parts as it completed
        return digest, size

    def complete_many(self, actor: Principal, upload_ids: list[str],
                      workers: int = 16) -> list[tuple[str, str, int]]:
        """Complete many sessions (small files), ``workers`` at once: (upload id, sha256,
        size) each.  Every session is tried; the first failure is raised after, the
        sessions that passed being complete (and the failed ones aborted, or kept when
        the storage was unavailable)."""
        if len(upload_ids) > MAX_BATCH:
            raise InvalidParameter(f"at most {MAX_BATCH} upload_ids per call")
        wanted = list(dict.fromkeys(check_upload_id(u) for u in upload_ids))
        now = self.clock.now_ms()
        found = {s.id: s for s in self.repo.get_many(wanted) if s.expires_at > now and (
            s.created_by == _owner(actor) or actor.is_admin)}
        lost = [u for u in wanted if u not in found]
        if lost:
            raise NotFound(f"upload session {lost[0]} does not exist")

        def one(session: UploadSession) -> tuple[str, str, int] | ModelyardError:
            try:
                if session.parts > 1:
                    held = self.store.multipart_parts(session.handle)
                    if any(n not in held for n in range(1, session.parts + 1)):
                        raise InvalidParameter(f"upload {session.id}: parts not received")
                digest, size = self.store.multipart_complete(
                    session.handle, session.parts, session.digest, session.size,
                    self.max_size)
            except (DigestMismatch, PayloadTooLarge) as exc:
                self.store.multipart_abort(session.handle)
                return exc
            except NotFound:
                return InvalidParameter(f"upload {session.id}: a part is missing")
            except ModelyardError as exc:
                return exc
            return session.id, digest, size

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = list(pool.map(one, [found[u] for u in wanted]))
        self.repo.delete_many([u for u, r in zip(wanted, results, strict=True)
                               if not isinstance(r, ModelyardError) or
                               isinstance(r, DigestMismatch | PayloadTooLarge)])
        done: list[tuple[str, str, int]] = []
        for r in results:
            if isinstance(r, ModelyardError):
                raise r
            done.append(r)
        return done

    def abort(self, actor: Principal, upload_id: str) -> None:
        self._drop(self.get(actor, upload_id))

    def _resumable(self, session: UploadSession) -> bool:
        """Whether the storage still holds the session (one it lost, or one opened by
        an older release that it cannot resume, is dropped: the caller opens anew)."""
        try:
            self.store.multipart_parts(session.handle)
        except NotFound:
            self._drop(session)
            return False
        return True

    def _drop(self, session: UploadSession) -> None:
        try:
            self.store.multipart_abort(session.handle)
        except NotFound:
            pass  # the storage holds nothing of it
        self.repo.delete(session.id)

    def sweep(self, *, dry_run: bool = False, limit: int = 1000) -> int:
        """Abort expired sessions (their parts removed from the storage); their count."""
        expired = self.repo.expired(self.clock.now_ms(), limit)
        if not dry_run:
            for session in expired:
                self._drop(session)
        return len(expired)
