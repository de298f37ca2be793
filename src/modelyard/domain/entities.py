"""Plain data objects the domain hands out.  No SQL, no HTTP.

Timestamps are integers in milliseconds since the epoch (the unit MLflow speaks).
Each entity turns into JSON with :meth:`to_dict` and back with ``from_dict``, so the
HTTP client rebuilds exactly what the in-process client returns.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast

from modelyard.domain.assembly import assembled

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")


class _Wire:
    """JSON in and out for the dataclasses below (every subclass is one)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(cast("DataclassInstance", self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cast("type[DataclassInstance]", cls))}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def assembled(cls, values: dict[str, Any]) -> Self:
        """The entity of ``values`` (every field's value), built without the
        constructor, for the stores' read paths (:mod:`modelyard.domain.assembly`)."""
        return assembled(cls, values)


@dataclass(frozen=True)
class Principal:
    """Who acts, recorded on every change.  ``id`` is the user's id (None: anonymous);
    ``groups`` feed role bindings; ``token_id`` is the token the request carried and
    ``scope`` its scope (``read`` tokens never write); ``address`` and ``request_id``
    say where the request came from, for the audit log."""

    name: str = "anonymous"
    is_admin: bool = False
    id: str | None = None
    groups: tuple[str, ...] = ()
    token_id: str | None = None
    scope: str = "write"
    address: str | None = None
    request_id: str | None = None


ANONYMOUS = Principal()
# The in-process client with no credential once users exist: the owner of the database.
LOCAL_OWNER = Principal(name="local-owner", is_admin=True, id="local-owner")


@dataclass(frozen=True)
class FileEntry(_Wire):
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Project(_Wire):
    name: str
    description: str = ""
    created_at: int = 0
    created_by: str = ""


@dataclass(frozen=True)
class RegisteredModel(_Wire):
    name: str
    project: str = "default"
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_version: int | None = None
    created_at: int = 0
    updated_at: int = 0
    created_by: str = ""
    updated_by: str = ""
    deleted: bool = False


@dataclass(frozen=True)
class ParentLink(_Wire):
    model: str
    version: int
    relation: str = "derived_from"


@dataclass(frozen=True)
class ModelVersion(_Wire):
    model: str
    version: int
    status: str = "READY"
    stage: str = "None"
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    source: str = ""
    run_id: str | None = None
    flavor: str | None = None  # None: no flavor
    signature: dict[str, Any] | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    size: int = 0
    file_count: int = 0
    files: list[FileEntry] | None = None
    parents: list[ParentLink] = field(default_factory=list)
    created_at: int = 0
    updated_at: int = 0
    created_by: str = ""
    updated_by: str = ""
    deleted: bool = False

    @property
    def ref(self) -> str:
        return f"{self.model}/{self.version}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        data = dict(data)
        if data.get("files") is not None:
            data["files"] = [FileEntry.from_dict(f) for f in data["files"]]
        data["parents"] = [ParentLink.from_dict(p) for p in data.get("parents") or []]
        return super().from_dict(data)


@dataclass(frozen=True)
class Event(_Wire):
    id: int
    type: str
    entity_type: str
    entity_id: str
    actor: str
    time: int
    project: str = "default"
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    entity_key: str | None = None  # the entity's surrogate id, stable across renames
    model_id: int | None = None  # the model an event of a model/version/alias is about
    actor_id: str | None = None
    actor_token: str | None = None  # the token id (never the secret) the actor used
    actor_address: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


# -- experiment tracking, datasets, lineage (domain/tracking.py, datasets.py, lineage.py) --

@dataclass(frozen=True)
class Experiment(_Wire):
    experiment_id: str
    name: str
    artifact_location: str = ""
    lifecycle_stage: str = "active"
    tags: dict[str, str] = field(default_factory=dict)
    created_at: int = 0
    updated_at: int = 0


@dataclass(frozen=True)
class Metric(_Wire):
    key: str
    value: float
    step: int = 0
    timestamp: int = 0


@dataclass(frozen=True)
class Run(_Wire):
    run_id: str
    experiment_id: str
    run_name: str = ""
    status: str = "RUNNING"
    start_time: int = 0
    end_time: int | None = None
    lifecycle_stage: str = "active"
    user_id: str = ""
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    #: The (step, timestamp) of each metric's latest value in ``metrics``.
    metric_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    parent_run_id: str | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    deleted_at: int | None = None
    #: MLflow 3: the logged models the run read, and those it produced
    #: (``{"model_id", "step"}``).
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def info(self) -> Run:
        """MLflow-style access (``run.info.run_id``)."""
        return self

    @property
    def data(self) -> Run:
        return self


@dataclass(frozen=True)
class DatasetVersion(_Wire):
    """A dataset version: a manifest of files (possibly none, for a dataset known only by
    digest), its digest, and a profile (schema, row count, column statistics)."""

    name: str
    version: int
    digest: str
    source: str = ""
    source_type: str = ""
    description: str = ""
    profile: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    size: int = 0
    file_count: int = 0
    files: list[FileEntry] | None = None
    created_at: int = 0
    created_by: str = ""

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        data = dict(data)
        if data.get("files") is not None:
            data["files"] = [FileEntry.from_dict(f) for f in data["files"]]
        return super().from_dict(data)


@dataclass(frozen=True)
class Dataset(_Wire):
    name: str
    description: str = ""
    latest_version: int | None = None
    created_at: int = 0
    created_by: str = ""


@dataclass(frozen=True)
class ModelMetric:
    """A metric point logged with a ``model_id`` (MLflow 3): the run that logged it and
    the dataset it was measured on (name and digest, when given)."""

    key: str
    value: float
    timestamp: int
    step: int
    run_id: str
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True)
class LoggedModel:
    """An MLflow 3 logged model (``m-<32 hex>``)."""

    model_id: str
    experiment_id: str
    name: str
    source_run_id: str | None = None
    model_type: str = ""
    status: str = "PENDING"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    created_at: int = 0
    updated_at: int = 0
    created_by: str = ""
    metrics: list[ModelMetric] = field(default_factory=list)


@dataclass(frozen=True)
class Deployment(_Wire):
    id: str
    model: str
    version: int
    endpoint: str
    environment: str = ""
    started_at: int = 0
    ended_at: int | None = None
    created_by: str = ""
    #: When the serving process last said it is alive (None: it never heartbeats).
    heartbeat_at: int | None = None


@dataclass(frozen=True)
class LineageNode(_Wire):
    id: str  # "model-version:fraud/3", "run:<id>", "dataset-version:tx/2", "deployment:<id>"
    type: str
    label: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LineageEdge(_Wire):
    source: str  # upstream end: data flows source -> target
    target: str
    relation: str


@dataclass(frozen=True)
class LineageGraph(_Wire):
    root: str
    nodes: list[LineageNode] = field(default_factory=list)
    edges: list[LineageEdge] = field(default_factory=list)

    def node(self, node_id: str) -> LineageNode | None:
        return next((n for n in self.nodes if n.id == node_id), None)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineageGraph:
        return cls(root=data["root"],
                   nodes=[LineageNode.from_dict(n) for n in data.get("nodes") or []],
                   edges=[LineageEdge.from_dict(e) for e in data.get("edges") or []])
