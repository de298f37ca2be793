"""The REST client (httpx).  Error bodies are decoded into the same exception classes
the domain raises, so callers catch one tree whatever the transport."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from modelyard.client.access_http import HttpAccessMixin
from modelyard.client.governance_http import HttpGovernanceMixin
from modelyard.client.base import BaseClient, Progress
from modelyard.client.decode import decode
from modelyard.client.frames import FrameReader
from modelyard.client.http_errors import BACKOFF, CHUNK, raise_for_error, transport_reason
from modelyard.client.storage_http import HttpStorageReadsMixin
from modelyard.client.tracking_http import HttpTrackingMixin
from modelyard.client.uploads import SessionUploads, UploadOptions
from modelyard.client.verify import verified

from modelyard.client.webhooks_contract import HttpWebhookMixin
from modelyard.domain.entities import Event, FileEntry, ModelVersion, Page, Project, RegisteredModel
from modelyard.domain.refs import VersionRef, parse_ref
from modelyard.errors import ServiceUnavailable

#: POSTs that change nothing (the server ignores a key on them too).
_READ_ONLY_POSTS = ("/search", "/blobs/missing", "/blobs:locate", "/blobs:batch-read", "/urls")

_raise_for_error = raise_for_error


def _q(segment: str) -> str:
    return quote(str(segment), safe="")


class HttpClient(SessionUploads, HttpAccessMixin, HttpGovernanceMixin, HttpWebhookMixin,
                 HttpTrackingMixin, HttpStorageReadsMixin, BaseClient):
    #: Small files are fetched in batch reads of at most this many blobs and bytes
    #: (each one request instead of one a file); the server allows up to 1000/64 MiB.
    batch_read = (256, 16 << 20)

    #: Files above this size are downloaded as parallel ranged reads.
    ranged_above: int | None = 64 << 20

    def __init__(self, uri: str, *, token: str | None = None, timeout: float = 60.0,
                 transport: httpx.BaseTransport | None = None, retries: int = 2,
                 direct: bool = True, ranged_above: int | None = 64 << 20,
                 range_workers: int = 8, uploads: UploadOptions | None = None) -> None:
        """``direct``: download from object storage's presigned URLs when the server
        hands them out (falling back to the server when the storage cannot be
        reached); off, every byte comes through the server.  ``ranged_above``: files
        larger than this (bytes; None: never) are fetched as up to ``range_workers``
        parallel ranged reads.  ``uploads``: part size, parallelism and the multipart
        threshold of uploads (:class:`UploadOptions`)."""
        self.uri = uri.rstrip("/")
        self.upload_options = uploads or UploadOptions()
        self.retries = retries
        self.direct = direct
        self.ranged_above = ranged_above
        self.range_workers = max(1, range_workers)
        self._timeout = timeout
        self._storage: httpx.Client | None = None
        #: Storage hosts this client could not reach: not tried again (every read of
        #: theirs goes through the server at once, not after a timeout each).
        self._unreachable: set[str] = set()
        headers = {"User-Agent": "modelyard-client", "X-Modelyard-Client": "sdk"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=self.uri + "/api/v1", headers=headers,
                                 timeout=httpx.Timeout(timeout, connect=10.0),
                                 transport=transport)

    def close(self) -> None:
        self.http.close()
        if self._storage is not None:
            self._storage.close()

    # -- transport --------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One logical call.  A POST carries an ``Idempotency-Key`` of its own (but a
        search, which changes nothing) and is retried with that same key when the
        connection fails or the server answers 503, so a retry can never apply it
        twice."""
        attempts = 1
        if method == "POST":
            # A search, a lookup or asking for URLs changes nothing: no key to keep.
            if not path.endswith(_READ_ONLY_POSTS):
                kwargs["headers"] = {"Idempotency-Key": uuid.uuid4().hex,
                                     **kwargs.get("headers", {})}
            attempts += self.retries
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                resp = self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise ServiceUnavailable(
                        f"cannot reach {self.uri}: {transport_reason(exc)}") from None
                time.sleep(BACKOFF * 2 ** attempt)
                continue
            if resp.status_code == 503 and not last:
                time.sleep(BACKOFF * 2 ** attempt)
                continue
            _raise_for_error(resp)
            return resp.json() if resp.content else {}
        raise AssertionError("unreachable")  # pragma: no cover

    def _get(self, path: str, **params: Any) -> Any:
        return self._request("GET", path, params={k: v for k, v in params.items()
                                                  if v is not None and v is not False})

    def _stream(self, path: str, label: str | None = None) -> Iterator[bytes]:
        """The body of a GET, streamed.  With ``label`` (the file's name in messages)
        the bytes are checked against the sha256 the server announces for the file
        (``X-Content-SHA256``)."""
        try:
            with self.http.stream("GET", path) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _raise_for_error(resp)
                digest = resp.headers.get("x-content-sha256")
                if label is not None and digest:
                    yield from verified(resp.iter_raw(CHUNK), digest, label)
                else:
                    yield from resp.iter_raw(CHUNK)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"download from {self.uri} failed: "
                                     f"{transport_reason(exc)}") from None

    # -- blobs ------------------------------------------------------------------------
    def missing_blobs(self, digests: list[str]) -> list[str]:
        out: list[str] = []
        for i in range(0, len(digests), 10_000):
            out += self._request("POST", "/blobs/missing",
                                 json={"digests": digests[i:i + 10_000]})["missing"]
        return out

    def upload_blob(self, entry: FileEntry, source: Path, progress: Progress | None = None) -> None:
        self._put_blob(entry, source, progress)

    def _put_blob(self, entry: FileEntry, source: Path,
                  progress: Progress | None = None) -> dict[str, Any]:
        """Stream ``source`` to the server as blob ``entry``; the server's answer (its
        ``created`` says whether the bytes were new, where the store can tell)."""
        def body() -> Iterator[bytes]:
            with open(source, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    if progress:
                        progress(len(chunk))
                    yield chunk

        answer: dict[str, Any] = self._request(
            "PUT", f"/blobs/sha256/{entry.sha256}", content=body(),
            headers={"Content-Length": str(entry.size),
                     "Content-Type": "application/octet-stream"})
        return answer

    def iter_blob(self, digest: str) -> Iterator[bytes]:
        return self._stream(f"/blobs/sha256/{digest}")

    def iter_blobs(self, digests: list[str]) -> Iterator[tuple[str, int, Iterator[bytes]]]:
        unique = list(dict.fromkeys(digests))
        try:
            with self.http.stream("POST", "/blobs:batch-read",
                                  json={"digests": unique}) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    _raise_for_error(resp)
                yield from FrameReader(resp.iter_raw(CHUNK), self.uri).frames(unique)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(f"download from {self.uri} failed: "
                                     f"{transport_reason(exc)}") from None

    def iter_file(self, ref: str | VersionRef, path: str) -> Iterator[bytes]:
        ref = parse_ref(ref) if isinstance(ref, str) else ref
        spec = "@" + ref.alias if ref.alias else (ref.version or ref.selector)
        return self._stream(f"/models/{_q(ref.model)}/versions/{_q(str(spec))}/files/"
                            + quote(path, safe="/"), f"{ref.model}/{spec}: file {path!r}")

    # -- models -----------------------------------------------------------------------
    def create_model(self, name: str, description: str = "", tags: dict[str, str] | None = None,
                     project: str = "default") -> RegisteredModel:
        body = {"name": name, "description": description, "tags": tags or {}, "project": project}
        return decode(RegisteredModel, self._request("POST", "/models", json=body)["model"])

    def get_model(self, name: str, deleted: bool = False) -> RegisteredModel:
        return decode(RegisteredModel, self._get(f"/models/{_q(name)}", deleted=deleted)["model"])

    def search_models(self, filter: str | None = None, order_by: list[str] | None = None,
                      max_results: int = 100, page_token: str | None = None,
                      deleted: bool = False, kind: str = "model") -> Page[RegisteredModel]:
        data = self._get("/models", filter=filter, order_by=order_by, max_results=max_results,
                         page_token=page_token, deleted=deleted, kind=kind)
        return Page([decode(RegisteredModel, m) for m in data["models"]],
                    data.get("next_page_token"))

    def update_model(self, name: str, description: str) -> RegisteredModel:
        data = self._request("PATCH", f"/models/{_q(name)}", json={"description": description})
        return decode(RegisteredModel, data["model"])

    def rename_model(self, name: str, new_name: str) -> RegisteredModel:
        data = self._request("POST", f"/models/{_q(name)}/rename", json={"new_name": new_name})
        return decode(RegisteredModel, data["model"])

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._request("PUT", f"/models/{_q(name)}/tags/{_q(key)}", json={"value": value})

    def delete_model_tag(self, name: str, key: str) -> None:
        self._request("DELETE", f"/models/{_q(name)}/tags/{_q(key)}")

    def delete_model(self, name: str) -> None:
        self._request("DELETE", f"/models/{_q(name)}")

    def restore_model(self, name: str) -> RegisteredModel:
        data = self._request("POST", f"/models/{_q(name)}/restore", json={})
        return decode(RegisteredModel, data["model"])

    # -- versions ---------------------------------------------------------------------
    def _v(self, name: str, version: int | str) -> str:
        return f"/models/{_q(name)}/versions/{_q(str(version))}"

    def create_version(self, name: str, files: list[FileEntry], **fields: Any) -> ModelVersion:
        body = {"files": [f.to_dict() for f in files], **fields}
        body["parents"] = [_parent(p) for p in body.get("parents") or []]
        data = self._request("POST", f"/models/{_q(name)}/versions", json=body)
        return decode(ModelVersion, data["version"])

    def register_run_model(self, name: str, run_id: str, artifact_path: str, *,
                           create_model: bool = True, **fields: Any) -> ModelVersion:
        body = {"run_id": run_id, "artifact_path": artifact_path,
                "create_model": create_model, **fields}
        if "parents" in body:
            body["parents"] = [_parent(p) for p in body["parents"] or []]
        data = self._request("POST", f"/models/{_q(name)}/versions/from-run", json=body)
        return decode(ModelVersion, data["version"])

    def get_version(self, name: str, version: int | str, files: bool = True) -> ModelVersion:
        data = self._get(self._v(name, version), files="true" if files else "false")
        return decode(ModelVersion, data["version"])

    def search_versions(self, filter: str | None = None, order_by: list[str] | None = None,
                        max_results: int = 100, page_token: str | None = None,
                        deleted: bool = False) -> Page[ModelVersion]:
        data = self._get("/versions", filter=filter, order_by=order_by, max_results=max_results,
                         page_token=page_token, deleted=deleted)
        return Page([decode(ModelVersion, v) for v in data["versions"]],
                    data.get("next_page_token"))

    def update_version(self, name: str, version: int | str, description: str) -> ModelVersion:
        data = self._request("PATCH", self._v(name, version), json={"description": description})
        return decode(ModelVersion, data["version"])

    def set_version_tag(self, name: str, version: int | str, key: str, value: str) -> None:
        self._request("PUT", self._v(name, version) + f"/tags/{_q(key)}", json={"value": value})

    def delete_version_tag(self, name: str, version: int | str, key: str) -> None:
        self._request("DELETE", self._v(name, version) + f"/tags/{_q(key)}")

    def delete_version(self, name: str, version: int | str) -> None:
        self._request("DELETE", self._v(name, version))

    def restore_version(self, name: str, version: int) -> ModelVersion:
        data = self._request("POST", self._v(name, version) + "/restore", json={})
        return decode(ModelVersion, data["version"])

    def transition_stage(self, name: str, version: int | str, stage: str,
                         archive_existing: bool = False) -> ModelVersion:
        data = self._request("POST", self._v(name, version) + "/stage",
                             json={"stage": stage, "archive_existing": archive_existing})
        return decode(ModelVersion, data["version"])

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        data = self._request("PUT", f"/models/{_q(name)}/aliases/{_q(alias)}",
                             json={"version": version})
        return decode(ModelVersion, data["version"])

    def delete_alias(self, name: str, alias: str) -> None:
        self._request("DELETE", f"/models/{_q(name)}/aliases/{_q(alias)}")

    # -- events, projects, maintenance ------------------------------------------------
    def list_events(self, *, entity_type: str | None = None, entity_id: str | None = None,
                    model: str | None = None, type: str | None = None,
                    after_id: int | None = None, newest_first: bool = False,
                    max_results: int | None = None,
                    page_token: str | None = None, user: str | None = None,
                    since: int | None = None,
                    types: list[str] | None = None) -> Page[Event]:
        data = self._get("/events", entity_type=entity_type, entity_id=entity_id, model=model,
                         type=type, after_id=after_id, newest_first=newest_first,
                         max_results=max_results, page_token=page_token, user=user,
                         since=since, types=types)
        return Page([decode(Event, e) for e in data["events"]], data.get("next_page_token"))

    def create_project(self, name: str, description: str = "") -> Project:
        data = self._request("POST", "/projects", json={"name": name, "description": description})
        return decode(Project, data["project"])

    def list_projects(self) -> list[Project]:
        return [decode(Project, p) for p in self._get("/projects")["projects"]]

    def gc(self, dry_run: bool = False, grace_seconds: int | None = None,
           force: bool = False) -> dict[str, Any]:
        body = {"dry_run": dry_run, "grace_seconds": grace_seconds, "force": force}
        report: dict[str, Any] = self._request("POST", "/admin/gc", json=body)["report"]
        return report

    def dvc_objects(self, project: str, oids: list[str]) -> dict[str, tuple[str, int]]:
        out: dict[str, tuple[str, int]] = {}
        for i in range(0, len(oids), 5_000):
            found = self._request("POST", f"/projects/{quote(project, safe='')}/dvc-objects/search",
                                  json={"oids": oids[i:i + 5_000]})["objects"]
            out.update({k: (v["sha256"], int(v["size"])) for k, v in found.items()})
        return out

    def fsck(self, sample: int | None = None) -> dict[str, Any]:
        report: dict[str, Any] = self._request("POST", "/admin/fsck",
                                               json={"sample": sample})["report"]
        return report


def _parent(p: Any) -> dict[str, Any]:
    if isinstance(p, dict):
        return p
    if isinstance(p, str):
        ref = parse_ref(p)
        return {"model": ref.model, "version": ref.version, "relation": "derived_from"}
    return {"model": p.model, "version": p.version, "relation": p.relation}
