"""``modelyard fsck``: is every stored byte what its name says, and is every byte a
manifest points at still stored?

- **missing**: a digest some manifest (a model version, a run artifact, a dataset
  version, a logged model) references and the blob store does not hold;
- **corrupt**: a stored blob whose bytes no longer hash to its key (a flipped bit, a
  truncated file, an object replaced behind the registry's back).

Every stored blob is re-hashed, or a random sample of ``sample`` of them (the missing
check always covers every manifest: it reads no bytes).  Each finding names the
manifests that point at the blob, so an operator knows which versions to re-upload.
The check only reads: it never deletes or repairs.  Like garbage collection it
needs an admin (or the open server's ``anonymous``).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

from modelyard.domain.blobs import BlobService
from modelyard.domain.entities import Principal
from modelyard.errors import InvalidParameter, NotFound, PermissionDenied


@dataclass(frozen=True)
class ManifestRef:
    """One manifest entry pointing at a blob: ``kind`` is ``model_version``,
    ``run_artifact``, ``dataset_version``, ``logged_model`` or ``dvc_object``; ``name``
    says which (``fraud/3``, a run id, ``clicks/2``, a logged model id, a project)."""

    kind: str
    name: str
    path: str
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "path": self.path,
                "sha256": self.sha256}


class ManifestIndex(Protocol):
    """The manifests' view of the blobs (implemented in ``store/manifest_index.py``)."""

    def referenced(self) -> set[str]:
        """Every digest some manifest points at."""
        ...

    def referencing(self, digests: list[str]) -> list[ManifestRef]:
        """Every manifest entry that points at one of ``digests``."""
        ...


@dataclass
class FsckReport:
    blobs_stored: int = 0
    blobs_checked: int = 0
    bytes_checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    manifests: list[ManifestRef] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupt

    def to_dict(self) -> dict[str, Any]:
        problem = {d: "missing" for d in self.missing} | {d: "corrupt" for d in self.corrupt}
        return {
            "ok": self.ok,
            "blobs_stored": self.blobs_stored,
            "blobs_checked": self.blobs_checked,
            "bytes_checked": self.bytes_checked,
            "missing": self.missing,
            "corrupt": self.corrupt,
            "manifests": [{**m.to_dict(), "problem": problem[m.sha256]}
                          for m in self.manifests],
        }


class FsckService:
    def __init__(self, blobs: BlobService, index: ManifestIndex) -> None:
        self.blobs = blobs
        self.index = index

    def check(self, actor: Principal, sample: int | None = None,
              rng: random.Random | None = None) -> FsckReport:
        """Re-hash every stored blob (or ``sample`` chosen at random) and look for
        referenced blobs that are gone."""
        if not actor.is_admin and actor.name != "anonymous":  # as garbage collection
            raise PermissionDenied("fsck needs an admin")
        if sample is not None and sample < 0:
            raise InvalidParameter("sample must be a positive number of blobs")
        report = FsckReport()
        referenced = self.index.referenced()
        stored = sorted(d for d, _ in self.blobs.stored(actor))
        report.blobs_stored = len(stored)
        chosen = stored
        if sample is not None and sample < len(stored):
            chosen = sorted((rng or random.SystemRandom()).sample(stored, sample))
        present = set(stored)
        for digest in chosen:
            try:
                actual, size = self._rehash(actor, digest)
            except NotFound:  # removed since it was listed (by a collection)
                present.discard(digest)
                continue
            report.blobs_checked += 1
            report.bytes_checked += size
            if actual != digest:
                report.corrupt.append(digest)
        report.missing = sorted(referenced - present)
        if not report.ok:
            report.manifests = sorted(
                self.index.referencing(report.missing + report.corrupt),
                key=lambda m: (m.kind, m.name, m.path))
        return report

    def _rehash(self, actor: Principal, digest: str) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        for chunk in self.blobs.read_chunks(actor, digest):
            h.update(chunk)
            size += len(chunk)
        return h.hexdigest(), size
