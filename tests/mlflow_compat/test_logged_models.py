"""The logged-model service underneath the MLflow 3 API: events, frozen files once
READY, run outputs, search, and garbage collection keeping their blobs."""

from __future__ import annotations

import hashlib

import pytest

from modelyard.domain.entities import ANONYMOUS, FileEntry
from modelyard.errors import InvalidParameter, NotFound

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _blob(services, data: bytes) -> FileEntry:  # type: ignore[no-untyped-def]
    w = services.blobs.writer(None, 1 << 20)
    w.write(data)
    size = w.commit()
    return FileEntry("MLmodel", size, hashlib.sha256(data).hexdigest())


def test_logged_model_lifecycle(services) -> None:  # type: ignore[no-untyped-def]
    exp = services.tracking.create_experiment(ANONYMOUS, "lm")
    run = services.tracking.create_run(ANONYMOUS, exp.experiment_id)
    lm = services.logged_models.create(ANONYMOUS, exp.experiment_id, "model",
                                       source_run_id=run.run_id, tags={"a": "1"},
                                       params={"p": "2"})
    assert lm.model_id.startswith("m-") and len(lm.model_id) == 34 and lm.status == "PENDING"
    entry = _blob(services, b"flavors: {}\n")
    services.logged_models.add_files(ANONYMOUS, lm.model_id, [entry])
    services.logged_models.add_files(ANONYMOUS, lm.model_id, [entry])  # same path: replaced
    assert services.logged_models.files(ANONYMOUS, lm.model_id) == [entry]
    services.logged_models.finalize(ANONYMOUS, lm.model_id, "READY")
    with pytest.raises(InvalidParameter):
        services.logged_models.add_files(ANONYMOUS, lm.model_id, [entry])
    services.logged_models.log_outputs(ANONYMOUS, run.run_id, [(lm.model_id, 3)])
    assert services.logged_models.run_outputs(ANONYMOUS, run.run_id) == [(lm.model_id, 3)]

    found = services.logged_models.search(ANONYMOUS, [exp.experiment_id],
                                          f"name = 'model' AND source_run_id = '{run.run_id}'")
    assert [m.model_id for m in found] == [lm.model_id]
    assert services.logged_models.search(ANONYMOUS, [exp.experiment_id], "tags.a = '2'").items == []

    events = [e.type for e in services.audit.list_events(ANONYMOUS, entity_type="logged_model")]
    assert events[:3] == ["logged_model.created", "logged_model.files_added",
                          "logged_model.files_added"]
    assert "logged_model.finalized" in events

    report = services.gc.collect(ANONYMOUS, grace_seconds=0, force=True)
    assert report.blobs_deleted == 0 and services.blobs.has(entry.sha256)
    services.logged_models.delete(ANONYMOUS, lm.model_id)
    with pytest.raises(NotFound):
        services.logged_models.get(ANONYMOUS, lm.model_id)


def test_logged_model_needs_an_experiment(services) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        services.logged_models.create(ANONYMOUS, "42", "x")
    exp = services.tracking.create_experiment(ANONYMOUS, "lm2")
    # A source run of another tracking server is a reference, as MLflow keeps it.
    made = services.logged_models.create(ANONYMOUS, exp.experiment_id, "x",
                                         source_run_id="0" * 32)
    assert made.source_run_id == "0" * 32
    with pytest.raises(InvalidParameter):
        services.logged_models.create(ANONYMOUS, exp.experiment_id, "bad/name")
