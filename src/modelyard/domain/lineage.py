"""LineageService: deployments, and the lineage graph over datasets, runs, model
versions and deployments.

Entities are named ``model-version:fraud/3`` (also ``fraud@production``,
``fraud/latest``), ``run:<run id>``, ``dataset-version:transactions/2`` and
``deployment:<id>``.  Edges point the way data flows::

    dataset-version --input--> run --produced--> model-version --derived_from-->
        model-version --deployed_to--> deployment

plus ``parent_run`` between nested runs.  ``upstream`` walks against the arrows,
``downstream`` with them, ``both`` does each from the root.

A model version (or deployment) of a model the actor may not read is not in the graph,
and the walk does not go through it: what is reachable only through a hidden model is
not shown either.  Such a root, deployment or deployment filter is NotFound.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from modelyard.domain import events as ev
from modelyard.domain import id_prefix
from modelyard.domain.datasets import find_dataset_version, parse_dataset_ref
from modelyard.domain.entities import (
    Deployment,
    LineageEdge,
    LineageGraph,
    LineageNode,
    Principal,
)
from modelyard.domain.lifecycle import DEFAULT_POLICY, StagePolicy
from modelyard.domain.lookup import find_model, find_version, model_missing, version_by_id
from modelyard.domain.ports import Clock, MetadataStore, SystemClock, Transaction
from modelyard.domain.records import RunRecord
from modelyard.domain.refs import parse_ref, ref_from_parts
from modelyard.domain.validation import _has_control
from modelyard.errors import InvalidParameter, NotFound

ID_KINDS = ("run", "deployment")  # what resolve_id expands

DIRECTIONS = ("upstream", "downstream", "both")
#: A deployment that heartbeats and has not for this long is ended by the registry.
DEPLOYMENT_TIMEOUT_S = 60.0
#: Who ends a stale deployment, in the audit log.
REGISTRY = Principal(name="modelyard")
MAX_DEPTH = 20
#: (transaction, model name) -> whether the actor may read that model.
Shows = Callable[[Transaction, str], bool]
RUN_NODE_TAGS = ("mlflow.source.git.commit", "mlflow.source.git.branch",
                 "modelyard.git.dirty", "mlflow.source.name", "modelyard.python.version",
                 "dvc.stage", "dvc.cmd")


class LineageService:
    def __init__(self, store: MetadataStore, clock: Clock | None = None,
                 policy: StagePolicy = DEFAULT_POLICY,
                 deployment_timeout_s: float = DEPLOYMENT_TIMEOUT_S) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.policy = policy
        self.deployment_timeout_ms = int(deployment_timeout_s * 1000)

    def _shows(self, actor: Principal) -> Shows:
        """Which models the actor may read (every one here; the guarded service narrows)."""
        return lambda tx, model: True

    # -- deployments ------------------------------------------------------------------
    def record_deployment(self, actor: Principal, model: str, version: int | str,
                          endpoint: str, environment: str = "") -> Deployment:
        if not isinstance(endpoint, str) or not endpoint.strip() or len(endpoint) > 2048 \
                or _has_control(endpoint):
            raise InvalidParameter("endpoint must be 1-2048 printable characters")
        if not isinstance(environment, str) or len(environment) > 256 or _has_control(environment):
            raise InvalidParameter("environment must be at most 256 printable characters")
        shows = self._shows(actor)
        with self.store.write() as tx:
            mrec, vrec = find_version(tx, self.policy, ref_from_parts(model, version))
            if not shows(tx, mrec.name):
                raise NotFound(model_missing(mrec.name))
            now = self.clock.now_ms()
            dep_id = uuid.uuid4().hex
            tx.lineage.insert_deployment(dep_id, vrec.id, endpoint, environment, now,
                                         actor.name)
            ev.record(tx, now, actor,
                      ev.DeploymentStarted(mrec.name, vrec.version, endpoint, environment),
                      "deployment", dep_id, mrec.project, model_id=mrec.id)
            return _deployment(tx, dep_id)[0]

    def end_deployment(self, actor: Principal, deployment_id: str) -> Deployment:
        with self.store.write() as tx:
            self._end(tx, actor, _active(tx, deployment_id))
            return _deployment(tx, deployment_id)[0]

    def get_deployment(self, actor: Principal, deployment_id: str) -> Deployment:
        shows = self._shows(actor)
        with self.store.read() as tx:
            if not isinstance(deployment_id, str):
                raise NotFound(f"deployment {deployment_id!r} does not exist")
            found = _deployment(tx, deployment_id)[0]
            if not shows(tx, found.model):
                raise NotFound(f"deployment {deployment_id!r} does not exist")
            return found

    def resolve_id(self, actor: Principal, kind: str, text: str) -> str:
        """The whole id of a run or a deployment given by a unique prefix (or whole)."""
        if kind not in ID_KINDS:
            raise InvalidParameter(f"kind must be one of {', '.join(ID_KINDS)}")
        if not isinstance(text, str) or not text:
            raise InvalidParameter(f"{kind} id must be a non-empty string")
        with self.store.read() as tx:
            if kind == "run":
                if tx.tracking.run(text) is not None:
                    return text
                return id_prefix.expand("run", text, tx.tracking.run_ids_with_prefix)
            if tx.lineage.deployment(text) is not None:
                return text
            return id_prefix.expand("deployment", text, tx.lineage.deployment_ids_with_prefix)

    def heartbeat_deployment(self, actor: Principal, deployment_id: str) -> Deployment:
        """The serving process is alive: push back the moment the registry would end
        this deployment as stale (:data:`DEPLOYMENT_TIMEOUT_S`).  An ended deployment
        is an error, so a server that lost its deployment learns it."""
        with self.store.write() as tx:
            dep, _ = _active(tx, deployment_id)
            tx.lineage.heartbeat_deployment(dep.id, self.clock.now_ms())
            return _deployment(tx, dep.id)[0]

    def _end_stale_deployments(self) -> list[str]:
        """End every deployment whose heartbeat is older than the timeout (its process
        is gone); returns their ids.  Listing deployments and the lineage do this
        first, so neither ever shows a deployment nobody serves."""
        before = self.clock.now_ms() - self.deployment_timeout_ms
        with self.store.read() as tx:
            if not tx.lineage.stale_deployments(before):
                return []
        with self.store.write() as tx:
            ended = tx.lineage.stale_deployments(before)
            for dep_id in ended:
                found = tx.lineage.deployment(dep_id)
                if found is not None:
                    self._end(tx, REGISTRY, found)
            return ended

    def _end(self, tx: Transaction, actor: Principal, found: tuple[Deployment, int]) -> None:
        dep, version_id = found
        now = self.clock.now_ms()
        tx.lineage.end_deployment(dep.id, now)
        ev.record(tx, now, actor, ev.DeploymentEnded(dep.model, dep.version, dep.endpoint),
                  "deployment", dep.id, model_id=version_by_id(tx, version_id).model_id)

    def list_deployments(self, actor: Principal, model: str | None = None,
                         version: int | str | None = None,
                         active_only: bool = True) -> list[Deployment]:
        self._end_stale_deployments()
        shows = self._shows(actor)
        with self.store.read() as tx:
            model_id = version_id = None
            if model:
                if version is not None and version != "":
                    mrec, vrec = find_version(tx, self.policy, ref_from_parts(model, version))
                    version_id = vrec.id
                else:
                    mrec = find_model(tx, model)
                if not shows(tx, mrec.name):
                    raise NotFound(model_missing(mrec.name))
                model_id = mrec.id
            elif version is not None:
                raise InvalidParameter("version needs model")
            found = tx.lineage.list_deployments(model_id=model_id, version_id=version_id,
                                                active_only=active_only)
            return [d for d in found if shows(tx, d.model)]

    # -- the graph --------------------------------------------------------------------
    def lineage(self, actor: Principal, entity: str, direction: str = "upstream",
                depth: int = 3) -> LineageGraph:
        if direction not in DIRECTIONS:
            raise InvalidParameter(f"direction must be one of {', '.join(DIRECTIONS)}")
        if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= MAX_DEPTH:
            raise InvalidParameter(f"depth must be an integer from 0 to {MAX_DEPTH}")
        self._end_stale_deployments()
        shows = self._shows(actor)
        with self.store.read() as tx:
            walk = _Walk(tx, self.policy, shows)
            root = walk.resolve(entity)
            if not walk.shown(root):
                raise NotFound(f"{entity!r} does not exist")
            for d in (("upstream", "downstream") if direction == "both" else (direction,)):
                walk.bfs(root, d, depth)
            return LineageGraph(root=walk.node_id(root), nodes=list(walk.nodes.values()),
                                edges=list(walk.edges.values()))


# ("mv", version id) | ("run", uuid) | ("xrun", uuid of a run this server does not
# hold) | ("dv", id) | ("dep", id)
Key = tuple[str, Any]


def _active(tx: Transaction, dep_id: object) -> tuple[Deployment, int]:
    found = tx.lineage.deployment(dep_id) if isinstance(dep_id, str) else None
    if found is None:
        raise NotFound(f"deployment {dep_id!r} does not exist")
    if found[0].ended_at is not None:
        raise InvalidParameter(f"deployment {dep_id} has already ended")
    return found


def _deployment(tx: Transaction, dep_id: str) -> tuple[Deployment, int]:
    found = tx.lineage.deployment(dep_id)
    if found is None:
        raise NotFound(f"deployment {dep_id!r} does not exist")
    return found


def _run(tx: Transaction, run_uuid: str) -> RunRecord:
    found = tx.tracking.run(run_uuid)
    if found is None:
        raise NotFound(f"run {run_uuid!r} does not exist")
    return found


class _Walk:
    def __init__(self, tx: Transaction, policy: StagePolicy, shows: Shows) -> None:
        self.tx = tx
        self.policy = policy
        self.shows = shows
        self.nodes: dict[str, LineageNode] = {}
        self.edges: dict[tuple[str, str, str], LineageEdge] = {}
        self._ids: dict[Key, str] = {}

    def resolve(self, entity: object) -> Key:
        if not isinstance(entity, str) or not entity:
            raise InvalidParameter("entity must be a non-empty string")
        kind, sep, rest = entity.partition(":")
        if not sep or kind == "models":
            kind, rest = "model-version", entity
        if kind in ("model-version", "model_version", "version"):
            _, vrec = find_version(self.tx, self.policy, parse_ref(rest))
            return ("mv", vrec.id)
        if kind == "run":
            if self.tx.tracking.run(rest) is None:
                rest = id_prefix.expand("run", rest, self.tx.tracking.run_ids_with_prefix)
            return ("run", rest)
        if kind in ("dataset-version", "dataset_version", "dataset"):
            return ("dv", find_dataset_version(self.tx, *parse_dataset_ref(rest)).id)
        if kind == "deployment":
            if self.tx.lineage.deployment(rest) is None:
                rest = id_prefix.expand("deployment", rest,
                                        self.tx.lineage.deployment_ids_with_prefix)
            return ("dep", rest)
        raise InvalidParameter(
            "entity must be model-version:NAME/VERSION, run:ID, dataset-version:NAME/VERSION "
            f"or deployment:ID, not {entity!r}")

    def shown(self, key: Key) -> bool:
        kind, ident = key
        if kind == "mv":
            return self.shows(self.tx, version_by_id(self.tx, ident).model)
        if kind == "dep":
            return self.shows(self.tx, _deployment(self.tx, ident)[0].model)
        return True

    def bfs(self, root: Key, direction: str, depth: int) -> None:
        self.node_id(root)
        queue: deque[tuple[Key, int]] = deque([(root, 0)])
        seen = {root}
        while queue:
            key, d = queue.popleft()
            if d >= depth:
                continue
            for other, relation, upstream_end in self.neighbours(key, direction):
                if not self.shown(other):
                    continue
                a, b = (other, key) if upstream_end else (key, other)
                src, dst = self.node_id(a), self.node_id(b)
                self.edges[(src, dst, relation)] = LineageEdge(src, dst, relation)
                if other not in seen:
                    seen.add(other)
                    queue.append((other, d + 1))

    def neighbours(self, key: Key, direction: str) -> list[tuple[Key, str, bool]]:
        """(neighbour, relation, neighbour is the upstream end)."""
        kind, ident = key
        tx = self.tx
        up = direction == "upstream"
        out: list[tuple[Key, str, bool]] = []
        if kind == "mv":
            if up:
                vrec = version_by_id(tx, ident)
                if vrec.run_id:  # a run of another tracking server is shown as external
                    held = tx.tracking.run(vrec.run_id) is not None
                    out.append((("run" if held else "xrun", vrec.run_id), "produced", True))
                out += [(("mv", p), rel, True) for p, rel in tx.lineage.version_parents(ident)]
            else:
                out += [(("mv", c), rel, False) for c, rel in tx.lineage.version_children(ident)]
                out += [(("dep", d.id), "deployed_to", False)
                        for d in tx.lineage.list_deployments(version_id=ident, active_only=False)]
        elif kind == "run":
            run = _run(tx, ident)
            if up:
                out += [(("dv", dv), context or "input", True)
                        for dv, context in tx.lineage.inputs_of_run(run.id)]
                if run.parent_run_uuid:
                    held = tx.tracking.run(run.parent_run_uuid) is not None
                    out.append((("run" if held else "xrun", run.parent_run_uuid),
                                "parent_run", True))
            else:
                out += [(("mv", v), "produced", False) for v in tx.lineage.versions_of_run(ident)]
                out += [(("run", c.run_uuid), "parent_run", False)
                        for c in tx.tracking.child_runs(ident)]
        elif kind == "dv" and not up:
            out += [(("run", r), context or "input", False)
                    for r, context in tx.lineage.runs_of_dataset_version(ident)]
        elif kind == "dep" and up:
            out.append((("mv", _deployment(tx, ident)[1]), "deployed_to", True))
        return out

    def node_id(self, key: Key) -> str:
        if key in self._ids:
            return self._ids[key]
        node = self._make(key)
        self._ids[key] = node.id
        self.nodes[node.id] = node
        return node.id

    def _make(self, key: Key) -> LineageNode:
        kind, ident = key
        tx = self.tx
        if kind == "mv":
            v = tx.registry.version_entity(version_by_id(tx, ident))
            return LineageNode(f"model-version:{v.model}/{v.version}", "model-version",
                               f"{v.model}/{v.version}", {
                                   "model": v.model, "version": v.version, "stage": v.stage,
                                   "aliases": v.aliases, "run_id": v.run_id, "source": v.source,
                                   "deleted": v.deleted, "created_at": v.created_at})
        if kind == "xrun":
            return LineageNode(f"run:{ident}", "run", str(ident),
                               {"run_id": ident, "external": True})
        if kind == "run":
            r = tx.tracking.run_entity(_run(tx, ident))
            return LineageNode(f"run:{r.run_id}", "run", r.run_name or r.run_id, {
                "run_id": r.run_id, "run_name": r.run_name, "experiment_id": r.experiment_id,
                "status": r.status, "lifecycle_stage": r.lifecycle_stage, "params": r.params,
                "metrics": r.metrics, "start_time": r.start_time,
                "tags": {k: r.tags[k] for k in RUN_NODE_TAGS if k in r.tags}})
        if kind == "dv":
            found = tx.datasets.version_by_id(ident)
            if found is None:
                raise NotFound(f"dataset version {ident} does not exist")
            dv = tx.datasets.version_entity(found)
            profile = dv.profile or {}
            return LineageNode(f"dataset-version:{dv.name}/{dv.version}", "dataset-version",
                               f"{dv.name}/{dv.version}", {
                                   "name": dv.name, "version": dv.version, "digest": dv.digest,
                                   "source": dv.source, "size": dv.size,
                                   "rows": profile.get("rows"),
                                   "columns": len(profile.get("columns") or [])})
        dep = _deployment(tx, ident)[0]
        return LineageNode(f"deployment:{dep.id}", "deployment", dep.endpoint, dep.to_dict())
