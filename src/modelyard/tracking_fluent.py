"""``modelyard.start_run`` and the run object it yields, over the process-wide client.

::

    with modelyard.start_run(experiment="fraud-detection") as run:
        run.log_params({"max_depth": 8})
        run.log_metric("loss", 0.3, step=1)
        ds = run.log_dataset("data/training.csv", name="transactions")
        v = run.register_model("model_dir/", name="fraud-detection")

A run started here records the git commit, branch and dirty state, the entry point
and the Python environment (``environment/requirements.txt``).  Leaving the block ends
the run FINISHED, FAILED on an exception, KILLED on Ctrl-C.  Runs nest with
``nested=True``; the stack of active runs is per thread.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from modelyard.client.base import BaseClient
from modelyard.domain.entities import DatasetVersion, FileEntry, ModelVersion, Run
from modelyard.errors import AlreadyExists, Conflict

_local = threading.local()


def _stack() -> list[ActiveRun]:
    runs: list[ActiveRun] | None = getattr(_local, "runs", None)
    if runs is None:
        runs = _local.runs = []
    return runs


class ActiveRun:
    def __init__(self, client: BaseClient, run: Run) -> None:
        self.client = client
        self.run_id = run.run_id
        self.experiment_id = run.experiment_id
        self._run = run

    def __repr__(self) -> str:
        return f"<ActiveRun {self.run_id} experiment={self.experiment_id}>"

    @property
    def info(self) -> Run:
        return self._run

    def get(self) -> Run:
        """The run as stored now (params, latest metrics, tags, inputs)."""
        self._run = self.client.get_run(self.run_id)
        return self._run

    # -- logging ----------------------------------------------------------------------
    def log_param(self, key: str, value: Any) -> None:
        self.client.log_param(self.run_id, key, value)

    def log_params(self, params: dict[str, Any]) -> None:
        self.client.log_params(self.run_id, params)

    def log_metric(self, key: str, value: float, step: int = 0,
                   timestamp: int | None = None) -> None:
        self.client.log_metric(self.run_id, key, value, step, timestamp)

    def log_metrics(self, metrics: dict[str, float], step: int = 0,
                    timestamp: int | None = None) -> None:
        self.client.log_metrics(self.run_id, metrics, step, timestamp)

    def log_batch(self, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        self.client.log_batch(self.run_id, metrics, params, tags)

    def set_tag(self, key: str, value: str) -> None:
        self.client.set_run_tag(self.run_id, key, value)

    def set_tags(self, tags: dict[str, str]) -> None:
        self.client.set_run_tags(self.run_id, tags)

    def set_note(self, text: str) -> None:
        """The run's description (MLflow's ``mlflow.note.content`` tag)."""
        self.client.set_run_note(self.run_id, text)

    def log_artifact(self, local_path: str | os.PathLike[str],
                     artifact_path: str | None = None) -> list[FileEntry]:
        return self.client.log_artifacts(self.run_id, local_path, artifact_path)

    log_artifacts = log_artifact

    def log_text(self, text: str, artifact_file: str) -> list[FileEntry]:
        folder, _, name = artifact_file.rpartition("/")
        with tempfile.TemporaryDirectory(prefix="modelyard-text-") as tmp:
            path = Path(tmp) / name
            path.write_text(text)
            return self.log_artifact(path, folder or None)

    def log_dataset(self, path: str | os.PathLike[str], name: str, *,
                    context: str = "training", **fields: Any) -> DatasetVersion:
        """Register a file or folder as a dataset version and record that this run read it."""
        return self.client.log_dataset(path, name, run_id=self.run_id,
                                       context=context, **fields)

    def log_input(self, dataset: Any, context: str = "training") -> None:
        item = dataset if not isinstance(dataset, DatasetVersion) else {
            "name": dataset.name, "version": dataset.version, "context": context}
        self.client.log_inputs(self.run_id, [item])

    def register_model(self, path: str | os.PathLike[str], name: str, *,
                       artifact_path: str | None = None, **fields: Any) -> ModelVersion:
        """Upload the folder as this run's artifacts (content-addressed), then register a
        version of ``name`` whose manifest points at the same blobs and whose source is
        ``runs:/<run_id>/<artifact_path>``."""
        return self.client.log_model_dir(self.run_id, path, name,
                                         artifact_path=artifact_path, **fields)

    # -- ending -----------------------------------------------------------------------
    def end(self, status: str = "FINISHED") -> None:
        stack = _stack()
        if self in stack:
            stack.remove(self)
        self._run = self.client.update_run(self.run_id, status=status)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            status = "FINISHED"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "KILLED"
        else:
            status = "FAILED"
        self.end(status)


def _experiment_id(client: BaseClient, experiment: str | None, experiment_id: str | None) -> str:
    if experiment_id is not None:
        return str(experiment_id)
    name = experiment or os.environ.get("MODELYARD_EXPERIMENT_NAME")
    if not name:
        return "0"
    try:
        return client.get_experiment_by_name(name).experiment_id
    except LookupError:
        try:
            return client.create_experiment(name).experiment_id
        except AlreadyExists:  # created concurrently
            return client.get_experiment_by_name(name).experiment_id


def start_run(experiment: str | None = None, *, experiment_id: str | None = None,
              run_name: str | None = None, tags: dict[str, str] | None = None,
              nested: bool = False, run_id: str | None = None, log_git: bool = True,
              log_environment: bool = True,
              client: BaseClient | None = None) -> ActiveRun:
    """Start (or with ``run_id`` resume) a run in ``experiment`` (created if missing;
    default: the parent's experiment for a nested run, else the experiment "Default")."""
    from modelyard.default_client import get_client
    from modelyard.run_context import git_tags, requirements_text, source_tags

    client = client or get_client()
    stack = _stack()
    if stack and not nested:
        raise Conflict(f"run {stack[-1].run_id} is already active; end it, or pass "
                       "nested=True to start a child run")
    if run_id is not None:
        run = client.get_run(run_id)
        if run.status != "RUNNING":
            run = client.update_run(run_id, status="RUNNING")
        active = ActiveRun(client, run)
        stack.append(active)
        return active
    all_tags = source_tags()
    if log_git:
        all_tags.update(git_tags())
    all_tags.update(tags or {})
    parent = stack[-1] if stack else None
    if parent is not None and experiment is None and experiment_id is None:
        # A child run without an experiment of its own goes where its parent is.
        experiment_id = parent.experiment_id
    run = client.create_run(_experiment_id(client, experiment, experiment_id), run_name,
                            tags=all_tags,
                            parent_run_id=None if parent is None else parent.run_id)
    active = ActiveRun(client, run)
    stack.append(active)
    if log_environment:
        try:
            active.log_text(requirements_text(), "environment/requirements.txt")
        except BaseException:
            active.end("FAILED")
            raise
    return active


def active_run() -> ActiveRun | None:
    """The innermost run started by this thread and not ended yet."""
    stack = _stack()
    return stack[-1] if stack else None


def end_run(status: str = "FINISHED") -> None:
    """End the active run (no-op when there is none)."""
    run = active_run()
    if run is not None:
        run.end(status)
