"""GTO's conventions: artifacts declared in ``dvc.yaml`` (``artifacts:``) or the older
``artifacts.yaml``, and the git tags that register versions and assign stages:

- ``name@v1.2.3`` registers version v1.2.3 at the tagged commit; ``name@v1.2.3!#N``
  deregisters it;
- ``name#stage#N`` assigns ``stage`` to the version registered at the tagged commit;
  ``name#stage!#N`` unassigns it; ``name@deprecated#N`` deprecates the artifact.

``N`` orders the events of one artifact.  Other tags are not GTO's and are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from modelyard.dvcsync.gitrepo import GitRepo, GitTag, SyncError

_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9\-/_]*[a-zA-Z0-9])?"
_SEMVER = (r"v(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
           r"(?:-(?P<pre>[0-9A-Za-z\-.]+))?(?:\+[0-9A-Za-z\-.]+)?")
TAG = re.compile(
    rf"^(?:(?P<dir>[a-zA-Z0-9\-_./]+)=)?(?P<name>{_NAME})"
    rf"(?:@(?P<version>{_SEMVER})(?P<vcancel>!?)|#(?P<stage>{_NAME})(?P<scancel>!?)"
    rf"|@(?P<deprecated>deprecated))(?:#(?P<counter>\d+))?$")
LOOKS_GTO = re.compile(rf"^{_NAME}[@#]")


@dataclass(frozen=True)
class Artifact:
    name: str
    path: str
    type: str = "model"
    description: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagEvent:
    artifact: str
    action: str  # register | deregister | assign | unassign | deprecate
    tag: GitTag
    version: str = ""
    stage: str = ""
    counter: int | None = None


@dataclass
class Declared:
    artifacts: dict[str, Artifact] = field(default_factory=dict)


def semver_key(version: str) -> tuple[int, int, int, int, str]:
    m = re.fullmatch(_SEMVER, version)
    if m is None:
        raise SyncError(f"{version!r} is not a semantic version")
    pre = m["pre"] or ""
    return int(m["major"]), int(m["minor"]), int(m["patch"]), 0 if pre else 1, pre


def parse_tag(tag: GitTag) -> TagEvent | None:
    m = TAG.match(tag.name)
    if m is None:
        if LOOKS_GTO.match(tag.name) and "@v" in tag.name:
            raise SyncError(f"tag {tag.name!r} is not a GTO tag (name@vMAJOR.MINOR.PATCH)")
        return None
    counter = int(m["counter"]) if m["counter"] else None
    name = m["name"]
    if m["version"]:
        return TagEvent(name, "deregister" if m["vcancel"] else "register", tag,
                        version=m["version"], counter=counter)
    if m["stage"]:
        return TagEvent(name, "unassign" if m["scancel"] else "assign", tag,
                        stage=m["stage"], counter=counter)
    return TagEvent(name, "deprecate", tag, counter=counter)


def _load(text: str, what: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise SyncError(f"{what} is not valid YAML{where}") from None


def _artifact(name: str, spec: Any, what: str) -> Artifact:
    if not isinstance(spec, dict):
        raise SyncError(f"{what}: artifact {name!r} must be a mapping")
    path = spec.get("path")
    if not isinstance(path, str) or not path:
        raise SyncError(f"{what}: artifact {name!r} has no path")
    labels = spec.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise SyncError(f"{what}: labels of {name!r} must be a list of strings")
    desc = spec.get("desc", spec.get("description", "")) or ""
    return Artifact(name=name, path=path.strip("/"), type=str(spec.get("type") or ""),
                    description=str(desc), labels=tuple(labels))


def declared(repo: GitRepo, commit: str) -> Declared:
    """The artifacts declared at ``commit`` (``dvc.yaml`` first, then ``artifacts.yaml``)."""
    out = Declared()
    text = repo.show(commit, "artifacts.yaml")
    if text is not None:
        data = _load(text, "artifacts.yaml") or {}
        if not isinstance(data, dict):
            raise SyncError("artifacts.yaml must be a mapping of artifact names")
        for name, spec in data.items():
            out.artifacts[str(name)] = _artifact(str(name), spec, "artifacts.yaml")
    text = repo.show(commit, "dvc.yaml")
    if text is not None:
        data = _load(text, "dvc.yaml") or {}
        if not isinstance(data, dict):
            raise SyncError("dvc.yaml must be a mapping")
        arts = data.get("artifacts") or {}
        if not isinstance(arts, dict):
            raise SyncError("dvc.yaml: artifacts must be a mapping of artifact names")
        for name, spec in arts.items():
            out.artifacts[str(name)] = _artifact(str(name), spec, "dvc.yaml")
    return out


def events(repo: GitRepo) -> dict[str, list[TagEvent]]:
    """Every GTO event by artifact, in the order GTO applies them (counter, then date)."""
    out: dict[str, list[TagEvent]] = {}
    for tag in repo.tags():
        event = parse_tag(tag)
        if event is not None:
            out.setdefault(event.artifact, []).append(event)
    for found in out.values():
        found.sort(key=lambda e: (e.counter if e.counter is not None else -1, e.tag.date))
    return out
