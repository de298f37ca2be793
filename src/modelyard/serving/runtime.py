"""What is being served: routes, the version each one answers with, and the follower
that swaps in a new version when an alias or stage moves.

A :class:`Route` holds one :class:`ServedModel` at a time.  A request reads
``route.current`` once and uses that model to the end, so replacing the attribute is
the whole swap: requests already in flight finish on the old version, new ones get the
new version, and none fails.  The new version is downloaded, loaded and warmed up (its
input example predicted) on the follower thread before it is swapped in; a version
that fails to load is skipped and the old one keeps serving.

Each version served is recorded in the registry as a deployment (endpoint, since
when), ended when it stops being served.  A heartbeat thread tells the registry every
``heartbeat_seconds`` that they are still served; if this process dies without ending
them, the registry ends them once the heartbeat is older than its timeout.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.client.base import BaseClient
from modelyard.errors import InvalidParameter, ModelyardError, NotFound
from modelyard.flavors.api import LoadedModel, load_dir, load_version
from modelyard.serving.batching import MicroBatcher
from modelyard.serving.config import ServeConfig
from modelyard.serving.metrics import BATCH_BUCKETS, Metrics

__all__ = ["Route", "Runtime", "ServedModel", "split_ref"]

log = logging.getLogger("modelyard.serving")

#: A version that failed to load is tried again after this many seconds.
RETRY_FAILED_AFTER = 60.0


def split_ref(ref: str) -> tuple[str, str, bool]:
    """(model name, reference without ``models:/``, whether it can move)."""
    body = ref[len("models:/"):] if ref.startswith("models:/") else ref
    if "@" in body:
        return body.rpartition("@")[0], body, True
    model, sep, spec = body.rpartition("/")
    if not sep or not model or not spec:
        raise InvalidParameter(f"invalid model reference {ref!r}; use name@alias, "
                               "name/<version>, name/latest, name/<stage> or a model folder")
    return model, body, not spec.isdigit()


@dataclass
class ServedModel:
    model: LoadedModel
    name: str
    version: str  # the registry version number, or "local"
    batcher: MicroBatcher
    since: float = field(default_factory=time.time)

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"


@dataclass
class Route:
    name: str  # what the operator called it: "production", "3", a folder
    ref: str  # what is resolved: "fraud@production", "fraud/3", or a folder path
    weight: float
    movable: bool
    local: bool = False
    current: ServedModel | None = None

    def describe(self) -> dict[str, Any]:
        cur = self.current
        return {"route": self.name, "ref": self.ref, "weight": self.weight,
                "following": self.movable,
                "model": cur.name if cur else None,
                "version": cur.version if cur else None,
                "since": _iso(cur.since) if cur else None,
                "flavor": cur.model.flavor if cur else None}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Runtime:
    """Loads the routes, follows the registry, records deployments."""

    def __init__(self, config: ServeConfig, client: BaseClient | None = None,
                 metrics: Metrics | None = None) -> None:
        self.config = config
        self.client = client
        self.metrics = metrics or Metrics()
        self.routes, self.shadow = self._plan(config)
        self._cumulative = []
        total = 0.0
        for r in self.routes:
            total += r.weight
            self._cumulative.append(total)
        self._total = total
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heart: threading.Thread | None = None
        self._failed: dict[tuple[str, str], float] = {}  # (ref, version) -> when
        self._deployments: dict[tuple[str, str], tuple[str, int]] = {}
        self._lock = threading.Lock()

    # -- plan -------------------------------------------------------------------------
    def _plan(self, config: ServeConfig) -> tuple[list[Route], Route | None]:
        target = config.target
        if not target.startswith("models:/") and Path(target).is_dir():
            if config.routes or config.shadow:
                raise InvalidParameter("--route and --shadow need a registry reference, not "
                                       "a model folder")
            return [Route(Path(target).name, target, 100.0, False, local=True)], None
        if self.client is None:
            raise InvalidParameter(f"{target!r} is not a model folder, and no registry is "
                                   "configured")
        model, body, movable = split_ref(target)
        if not config.routes:
            name = body.rpartition("@")[2] if "@" in body else body.rpartition("/")[2]
            return [Route(name, body, 100.0, movable and config.follow)], self._shadow(model)
        routes = []
        for name, weight in config.routes:
            ref = self._ref(model, name)
            routes.append(Route(name, ref, weight, split_ref(ref)[2] and config.follow))
        return routes, self._shadow(model)

    def _ref(self, model: str, name: str) -> str:
        if "@" in name or "/" in name:
            return split_ref(name)[1]
        if name.isdigit():
            return f"{model}/{name}"
        return f"{model}@{name}"

    def _shadow(self, model: str) -> Route | None:
        if not self.config.shadow:
            return None
        ref = self._ref(model, self.config.shadow)
        return Route("shadow", ref, 0.0, split_ref(ref)[2] and self.config.follow)

    @property
    def all_routes(self) -> list[Route]:
        return self.routes + ([self.shadow] if self.shadow else [])

    # -- loading ----------------------------------------------------------------------
    def _load(self, route: Route, ref: str | None = None) -> ServedModel:
        trust = self.config.trust_pickle
        if route.local:
            loaded = load_dir(Path(route.ref), trust=trust)
            name, version = Path(route.ref).resolve().name, "local"
        else:
            loaded = load_version(self.client, ref or route.ref, trust=trust)
            name, version = loaded.version.model, str(loaded.version.version)
        served = ServedModel(loaded, name, version, self._batcher(loaded, name, version))
        example = loaded.example_input()
        if example is not None:
            served.batcher.run_sync(example.data)  # warm-up; a model that fails is refused
        return served

    def _batcher(self, model: LoadedModel, name: str, version: str) -> MicroBatcher:
        label = (("version", f"{name}/{version}"),)
        metrics = self.metrics

        def on_batch(requests: int, rows: int, seconds: float) -> None:
            metrics.observe("modelyard_batch_size", requests, label, BATCH_BUCKETS)
            metrics.observe("modelyard_batch_rows", rows, label, BATCH_BUCKETS)
            metrics.observe("modelyard_predict_duration_seconds", seconds, label)

        return MicroBatcher(model.predict_prepared, window=self.config.batch_window_ms / 1000,
                            max_rows=self.config.max_batch_rows, name=f"{name}-{version}",
                            on_batch=on_batch)

    def start(self) -> None:
        """Load every route (blocking); then record deployments and start following."""
        self.load()
        self.begin()

    def load(self) -> None:
        """Load every route (blocking); nothing is recorded yet, so a route that fails
        leaves no trace in the registry."""
        for route in self.all_routes:
            route.current = self._load(route)
            self._gauge(route)

    def begin(self) -> None:
        """Once the models are loaded and the socket listens: record the deployments
        and start following aliases."""
        for route in self.all_routes:
            if route.current is not None:
                self._record(route.current)
                log.info("serving %s for %s", route.current.label, route.name)
        if any(r.movable for r in self.all_routes) and self.client is not None:
            self._thread = threading.Thread(target=self._follow, name="modelyard-follow",
                                            daemon=True)
            self._thread.start()
        if self.client is not None and self._heart is None:
            self._heart = threading.Thread(target=self._heartbeats, name="modelyard-heartbeat",
                                           daemon=True)
            self._heart.start()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._heart):
            if thread is not None:
                thread.join(10)
        with self._lock:
            ids = [dep for dep, _ in self._deployments.values()]
            self._deployments.clear()
        for dep in ids:
            self._end_deployment(dep)

    @property
    def ready(self) -> bool:
        return all(r.current is not None for r in self.all_routes)

    def choose(self) -> Route:
        if len(self.routes) == 1:
            return self.routes[0]
        i = bisect.bisect_right(self._cumulative, random.random() * self._total)
        return self.routes[min(i, len(self.routes) - 1)]

    def describe(self) -> dict[str, Any]:
        import modelyard

        return {"modelyard": modelyard.__version__,
                "routes": [r.describe() for r in self.routes],
                "shadow": self.shadow.describe() if self.shadow else None}

    # -- following --------------------------------------------------------------------
    def _follow(self) -> None:
        while not self._stop.wait(self.config.poll_seconds):
            for route in self.all_routes:
                if route.movable and not self._stop.is_set():
                    try:
                        self.check(route)
                    except Exception:  # noqa: BLE001 - the follower must outlive any error
                        log.exception("following %s failed", route.ref)

    def check(self, route: Route) -> bool:
        """Look up where the route's reference points now; swap if it moved.  Returns
        whether a new version was swapped in."""
        if self.client is None:
            return False
        try:
            version = self.client.resolve(route.ref, files=False)
        except ModelyardError as exc:
            log.warning("cannot resolve %s: %s", route.ref, exc)
            return False
        new_v = str(version.version)
        cur = route.current
        if cur is not None and cur.version == new_v:
            return False
        if time.monotonic() - self._failed.get((route.ref, new_v), -1e9) < RETRY_FAILED_AFTER:
            return False
        try:
            served = self._load(route, f"{version.model}/{new_v}")
        except Exception as exc:  # noqa: BLE001 - keep serving the old version
            self._failed[(route.ref, new_v)] = time.monotonic()
            log.error("not swapping %s to version %s: %s", route.ref, new_v, exc)
            return False
        self._swap(route, served)
        return True

    def _swap(self, route: Route, served: ServedModel) -> None:
        old = route.current
        route.current = served  # the swap: one attribute assignment
        self._record(served)
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._after_swap, route, old)
        else:
            self._after_swap(route, old)
        log.info("%s now serves %s (was %s)", route.name, served.label,
                 old.label if old else None)

    def _after_swap(self, route: Route, old: ServedModel | None) -> None:
        self.metrics.inc("modelyard_model_swaps_total", (("route", route.name),))
        self._gauge(route)
        if old is not None:
            old.batcher.retire()
            self._release(old)

    def _gauge(self, route: Route) -> None:
        name = "modelyard_model_version_served"
        series = self.metrics.gauges.get(name, {})
        for labels in [k for k in series if ("route", route.name) in k]:
            del series[labels]
        if route.current is not None:
            self.metrics.set(name, 1, (("route", route.name), ("model", route.current.name),
                                       ("version", route.current.version)))

    # -- deployments ------------------------------------------------------------------
    def _record(self, served: ServedModel) -> None:
        if self.client is None or served.version == "local":
            return
        key = (served.name, served.version)
        with self._lock:
            if key in self._deployments:
                dep_id, n = self._deployments[key]
                self._deployments[key] = (dep_id, n + 1)
                return
        try:
            dep = self.client.record_deployment(served.name, int(served.version),
                                                self.config.public_endpoint,
                                                environment=self.config.environment)
        except ModelyardError as exc:
            log.warning("could not record the deployment of %s: %s", served.label, exc)
            return
        self._beat(dep.id)
        with self._lock:
            self._deployments[key] = (dep.id, 1)

    def _heartbeats(self) -> None:
        while not self._stop.wait(self.config.heartbeat_seconds):
            with self._lock:
                current = list(self._deployments.items())
            for key, (dep_id, _) in current:
                if not self._stop.is_set() and not self._beat(dep_id):
                    self._rerecord(key, dep_id)

    def _beat(self, dep_id: str) -> bool:
        """Tell the registry the deployment is alive; False if it has ended it."""
        if self.client is None:
            return True
        try:
            self.client.heartbeat_deployment(dep_id)
        except (InvalidParameter, NotFound):
            return False
        except ModelyardError as exc:  # the registry is away: try again next beat
            log.warning("heartbeat of deployment %s failed: %s", dep_id, exc)
        return True

    def _rerecord(self, key: tuple[str, str], dep_id: str) -> None:
        """The registry ended a deployment still served (this process was silent past
        the timeout): record it again."""
        log.warning("the registry ended deployment %s while it is served; recording it again",
                    dep_id)
        with self._lock:
            found = self._deployments.pop(key, None)
        if found is None or self.client is None:
            return
        try:
            dep = self.client.record_deployment(key[0], int(key[1]),
                                                self.config.public_endpoint,
                                                environment=self.config.environment)
        except ModelyardError as exc:
            log.warning("could not record the deployment of %s/%s: %s", *key, exc)
            return
        self._beat(dep.id)
        with self._lock:
            self._deployments[key] = (dep.id, found[1])

    def _release(self, served: ServedModel) -> None:
        key = (served.name, served.version)
        with self._lock:
            if key not in self._deployments:
                return
            dep, n = self._deployments[key]
            if n > 1:
                self._deployments[key] = (dep, n - 1)
                return
            del self._deployments[key]
        threading.Thread(target=self._end_deployment, args=(dep,), daemon=True).start()

    def _end_deployment(self, dep: str) -> None:
        if self.client is None:
            return
        try:
            self.client.end_deployment(dep)
        except ModelyardError as exc:
            log.warning("could not end deployment %s: %s", dep, exc)
