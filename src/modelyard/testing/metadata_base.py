"""Records the store contracts write before they check what comes back."""

from __future__ import annotations

from typing import Any

from modelyard.domain.entities import FileEntry
from modelyard.domain.ports import Transaction
from modelyard.domain.records import VersionRecord

FILES = [FileEntry("model.onnx", 10, "a" * 64), FileEntry("conf/MLmodel", 3, "b" * 64)]


def _model(tx: Transaction, name: str = "fraud", now: int = 1000) -> int:
    pid = tx.registry.project_id("default")
    if pid is None:
        pid = tx.registry.insert_project("default", "", now, "alice")
    return tx.registry.insert_model(name, pid, "a model", now, "alice")


def _version(tx: Transaction, model_id: int, now: int = 2000, **kw: Any) -> tuple[int, int]:
    """A new version of the model: its id and number."""
    record = _version_record(tx, model_id, now, **kw)
    return record.id, record.version


def _version_record(tx: Transaction, model_id: int, now: int = 2000,
                    **kw: Any) -> VersionRecord:
    """A new version of the model (named ``model_name``, "fraud" unless given): the
    record the store answers for it."""
    taken = tx.registry.take_version(model_id, now, "alice")
    assert taken is not None
    number = taken[0]
    args: dict[str, Any] = {
        "model_name": "fraud", "status": "READY", "description": "", "source": "",
        "run_id": None, "flavor": "", "signature": None, "metrics": None, "files": [],
        "tags": {}, "now": now, "actor": "alice"}
    args.update(kw)
    return tx.registry.insert_version(model_id, number, **args)


def _run(tx: Transaction, uuid: str = "r" * 32, experiment_id: int = 0) -> int:
    tx.tracking.ensure_default(1)
    return tx.tracking.insert_run(run_uuid=uuid, experiment_id=experiment_id, name="run",
                                  status="RUNNING", start_time=5, user_id="alice",
                                  parent_run_uuid=None)
