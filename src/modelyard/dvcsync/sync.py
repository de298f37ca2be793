"""Plan and apply the registry view of a repository (see :mod:`modelyard.dvcsync`).

What git declares becomes, in the project given:

- each artifact of ``type: model`` a registered model (description; labels as tags
  ``gto.label.<label>``; ``gto.path``; ``modelyard.source = git``);
- each ``name@vX.Y.Z`` tag a version, created in semver order, with the tag's commit,
  author, date and message (tags ``git.*``), ``gto.version``, ``modelyard.source = git``,
  the files of the commit's ``.dvc``/``dvc.lock`` entry, and the lineage of its
  ``dvc.lock`` stage (:mod:`modelyard.dvcsync.lineage`);
- the stage assignments, replayed in GTO's order as aliases (``@production``); each
  model remembers the counter of the last event applied (``gto.counter``), so a second
  run has nothing to do, and an alias moved in modelyard since is left as it is and
  reported by ``--check`` as diverging from git.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelyard.client.base import BaseClient
from modelyard.domain.entities import ModelVersion, RegisteredModel
from modelyard.dvcsync import gto
from modelyard.dvcsync.dvcfiles import Objects, find_out, lock_stages
from modelyard.dvcsync.gitrepo import GitRepo, SyncError
from modelyard.dvcsync.lineage import record_lineage
from modelyard.errors import NotFound

SOURCE = "git"


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    changes: int = 0

    def did(self, text: str) -> None:
        self.lines.append(text)
        self.changes += 1


def _model_tags(a: gto.Artifact) -> dict[str, str]:
    tags = {"modelyard.source": SOURCE, "gto.path": a.path, "gto.type": a.type}
    tags.update({f"gto.label.{label}": "true" for label in a.labels})
    return tags


def _versions(client: BaseClient, name: str) -> list[ModelVersion]:
    out: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = client.search_versions(f"name = '{name}'", max_results=100, page_token=token)
        out += page.items
        token = page.next_page_token
        if not token:
            return out


class Sync:
    def __init__(self, client: BaseClient, repo: GitRepo, project: str, *,
                 check: bool = False) -> None:
        self.client = client
        self.repo = repo
        self.project = project
        self.check = check
        self.report = Report()
        self.objects = Objects(client, project, repo)

    def run(self) -> Report:
        head = self.repo.head()
        artifacts = gto.declared(self.repo, head).artifacts
        events = gto.events(self.repo)
        for name in sorted(set(events) - set(artifacts)):
            if any(e.action == "register" for e in events[name]):
                raise SyncError(f"tag {events[name][0].tag.name!r} names artifact {name!r}, "
                                "which dvc.yaml (or artifacts.yaml) does not declare")
        for a in sorted(artifacts.values(), key=lambda x: x.name):
            if a.type == "model":
                self._artifact(a, events.get(a.name, []))
        return self.report

    # -- a model ----------------------------------------------------------------------
    def _artifact(self, a: gto.Artifact, evs: list[gto.TagEvent]) -> None:
        model = self._model(a)
        existing: dict[str | None, ModelVersion | None] = {
            v.tags.get("gto.version"): v
            for v in (_versions(self.client, a.name) if model is not None else [])}
        registered: dict[str, gto.TagEvent] = {}
        dropped: set[str] = set()
        for e in evs:
            if e.action == "register":
                registered[e.version] = e
                dropped.discard(e.version)
            elif e.action == "deregister":
                registered.pop(e.version, None)
                dropped.add(e.version)
        for version in sorted(registered, key=gto.semver_key):
            if version not in existing:
                existing[version] = self._version(a, registered[version])
        changed = False
        for version in sorted(dropped, key=gto.semver_key):
            found = existing.get(version)
            if found is not None and found.tags.get("gto.deregistered") != "true":
                self._deregister(a, found, version)
                changed = True
        if changed and not self.check:
            model = self.client.get_model(a.name)  # its aliases, as deregistering left them
        self._aliases(a, model, evs, registered, existing)

    def _deregister(self, a: gto.Artifact, v: ModelVersion, version: str) -> None:
        """A version deregistered in git is kept (its lineage and downloads stay), tagged
        ``gto.deregistered`` and without aliases."""
        if self.check:
            self.report.did(f"{a.name}@{version}: deregistered in git, not in modelyard")
            return
        for alias in v.aliases:
            self.client.delete_alias(a.name, alias)
            self.report.did(f"{a.name}@{alias}: removed ({version} deregistered)")
        self.client.set_version_tag(a.name, v.version, "gto.deregistered", "true")
        self.report.did(f"{a.name}@{version}: marked deregistered (version {v.version})")

    def _model(self, a: gto.Artifact) -> RegisteredModel | None:
        tags = _model_tags(a)
        try:
            model = self.client.get_model(a.name)
        except NotFound:
            if self.check:
                self.report.did(f"model {a.name}: not in the registry")
                return None
            self.report.did(f"model {a.name}: created")
            return self.client.create_model(a.name, a.description, tags, project=self.project)
        if model.description != a.description:
            if self.check:
                self.report.did(f"model {a.name}: description differs from git")
            else:
                self.client.update_model(a.name, a.description)
                self.report.did(f"model {a.name}: description updated")
        for key, value in tags.items():
            if model.tags.get(key) != value:
                if self.check:
                    self.report.did(f"model {a.name}: tag {key} differs from git")
                else:
                    self.client.set_model_tag(a.name, key, value)
                    self.report.did(f"model {a.name}: tag {key} = {value}")
        return model

    # -- a version --------------------------------------------------------------------
    def _version(self, a: gto.Artifact, e: gto.TagEvent) -> ModelVersion | None:
        if self.check:
            self.report.did(f"{a.name}@{e.version}: not in the registry")
            return None
        commit = e.tag.commit
        art = gto.declared(self.repo, commit).artifacts.get(a.name, a)
        stages = lock_stages(self.repo, commit)
        out, stage = find_out(self.repo, commit, art.path, stages)
        files = self.objects.files(out, "")
        if not out.md5.endswith(".dir"):
            files = [type(f)(art.path.rsplit("/", 1)[-1], f.size, f.sha256) for f in files]
        self.objects.upload_missing()
        tags = {"modelyard.source": SOURCE, "gto.version": e.version, "git.tag": e.tag.name,
                "git.commit": commit, "git.author": e.tag.author, "git.date": str(e.tag.date),
                "dvc.path": art.path, "dvc.md5": out.md5}
        run_id: str | None = None
        metrics: dict[str, float] = {}
        if stage is not None:
            run_id, metrics = record_lineage(self.client, self.objects, self.repo, commit,
                                             stage, self.project)
            tags["dvc.stage"] = stage.name
        v = self.client.create_version(a.name, files, description=e.tag.message, tags=tags,
                                       source=f"git:{commit}", run_id=run_id, metrics=metrics)
        self.report.did(f"{a.name}@{e.version}: registered as version {v.version}")
        return v

    # -- aliases ----------------------------------------------------------------------
    def _aliases(self, a: gto.Artifact, model: RegisteredModel | None,
                 evs: list[gto.TagEvent], registered: dict[str, gto.TagEvent],
                 existing: dict[str | None, ModelVersion | None]) -> None:
        by_commit: dict[str, str] = {}
        for version in sorted(registered, key=gto.semver_key):
            by_commit[registered[version].tag.commit] = version
        current = dict(model.aliases) if model is not None else {}
        applied = int((model.tags if model is not None else {}).get("gto.counter", "0") or 0)
        desired: dict[str, str] = {}  # git's final state: stage -> version string
        last = applied
        for e in evs:
            step: tuple[str, str | None] | None = None
            if e.action == "assign" and e.tag.commit in by_commit:
                step = (e.stage, by_commit[e.tag.commit])
            elif e.action == "unassign":
                step = (e.stage, None)
            elif e.action == "deprecate":
                for gone in list(desired):
                    desired.pop(gone)
                    if not self.check and (e.counter or 0) > applied and gone in current:
                        self.client.delete_alias(a.name, gone)
                        current.pop(gone)
                        self.report.did(f"{a.name}@{gone}: removed (artifact deprecated)")
            if step is None:
                continue
            stage, ver = step
            if ver is None:
                desired.pop(stage, None)
            else:
                desired[stage] = ver
            if self.check or (e.counter or 0) <= applied:
                continue
            last = max(last, e.counter or 0)
            target = existing.get(ver) if ver is not None else None
            if target is None:
                if stage in current:
                    self.client.delete_alias(a.name, stage)
                    current.pop(stage)
                    self.report.did(f"{a.name}@{stage}: removed ({e.tag.name})")
            elif current.get(stage) != target.version:
                self.client.set_alias(a.name, stage, target.version)
                current[stage] = target.version
                self.report.did(f"{a.name}@{stage}: -> version {target.version} ({e.tag.name})")
        if self.check:
            self._diverging(a, current, desired, existing)
        elif last > applied:
            self.client.set_model_tag(a.name, "gto.counter", str(last))

    def _diverging(self, a: gto.Artifact, current: dict[str, int], desired: dict[str, str],
                   existing: dict[str | None, ModelVersion | None]) -> None:
        for stage in sorted(set(current) | set(desired)):
            want = desired.get(stage)
            target = existing.get(want) if want is not None else None
            have = current.get(stage)
            if want is None and have is not None:
                self.report.did(f"{a.name}@{stage}: version {have} in modelyard, "
                                "no such stage in git")
            elif want is not None and (target is None or target.version != have):
                where = f"version {have}" if have is not None else "unset"
                self.report.did(f"{a.name}@{stage}: {where} in modelyard, {want} in git")


def sync(client: BaseClient, path: str, project: str = "default", *,
         check: bool = False) -> Report:
    return Sync(client, GitRepo(path), project, check=check).run()
