"""The pipeline as lineage: the ``dvc.lock`` stage that produced a model version
becomes a finished run (experiment ``dvc``) with the stage's command and commit as
tags, its params as params and its metrics files as metrics; each dependency DVC
tracks (a data file or folder, in the remote or the cache) becomes a dataset version
(its md5 as tag ``dvc.md5``, files by sha256) that the run read.  Dependencies git
tracks (code) are recorded as run tags ``dvc.dep.<path>`` with their md5."""

from __future__ import annotations

import time
from typing import Any

from modelyard.client.base import BaseClient
from modelyard.dvcsync.dvcfiles import Objects, Out, Stage, metrics_at
from modelyard.dvcsync.gitrepo import GitRepo, SyncError
from modelyard.errors import NotFound

EXPERIMENT = "dvc"


def _experiment(client: BaseClient) -> str:
    try:
        return client.get_experiment_by_name(EXPERIMENT).experiment_id
    except NotFound:
        return client.create_experiment(EXPERIMENT, tags={"modelyard.source": "git"}
                                        ).experiment_id


def _tracked(objects: Objects, dep: Out) -> bool:
    """Whether DVC holds the dependency's bytes (remote or cache), not git."""
    objects.prefetch([dep.md5])
    return dep.md5 in objects.known or objects._cached(dep.md5).is_file()


def _dataset(client: BaseClient, objects: Objects, dep: Out, commit: str) -> dict[str, Any]:
    files = objects.files(dep, "")
    if not dep.md5.endswith(".dir"):
        files = [type(f)(dep.path.rsplit("/", 1)[-1], f.size, f.sha256) for f in files]
    objects.upload_missing()
    name = dep.path.replace("/", ":")
    dv = client.create_dataset_version(name, files, source=f"git:{commit}:{dep.path}",
                                       source_type="dvc", digest=dep.md5,
                                       tags={"dvc.md5": dep.md5, "dvc.path": dep.path})
    return {"name": dv.name, "version": dv.version, "context": "training"}


def record_lineage(client: BaseClient, objects: Objects, repo: GitRepo, commit: str,
                   stage: Stage, project: str) -> tuple[str, dict[str, float]]:
    """The run standing for ``stage`` at ``commit``, and the version's metrics."""
    metrics = metrics_at(repo, commit, stage)
    tags = {"modelyard.source": "git", "dvc.stage": stage.name, "dvc.cmd": stage.cmd[:4096],
            "git.commit": commit, "mlflow.source.git.commit": commit}
    inputs = []
    for dep in stage.deps:
        if _tracked(objects, dep):
            inputs.append(_dataset(client, objects, dep, commit))
        else:
            tags[f"dvc.dep.{dep.path}"] = dep.md5
    run = client.create_run(_experiment(client), run_name=f"{stage.name}@{commit[:8]}",
                            tags=tags)
    try:
        params = [{"key": k, "value": str(v)} for k, v in stage.params.items()]
        now = int(time.time() * 1000)
        client.log_batch(run.run_id, metrics=[{"key": k, "value": v, "timestamp": now, "step": 0}
                                              for k, v in metrics.items()], params=params)
        if inputs:
            client.log_inputs(run.run_id, inputs)
    except SyncError:
        client.update_run(run.run_id, status="FAILED")
        raise
    client.update_run(run.run_id, status="FINISHED", end_time=int(time.time() * 1000))
    return run.run_id, metrics
