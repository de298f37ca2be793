"""The behaviour every MetadataStore must have, through its repositories.

Subclass :class:`MetadataStoreContract` in a test module and provide a ``store``
fixture returning a fresh, empty, migrated store (see ``tests/contract``).  Writes
follow the protocol the domain follows: a write on a model first takes the model's
row lock (``touch_model``), a write on a run first reads it with ``lock=True``.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import pytest

from modelyard.domain.entities import FileEntry, Metric
from modelyard.domain.names import skeleton_key
from modelyard.domain.ports import MetadataStore, Transaction
from modelyard.domain.records import NewEvent
from modelyard.errors import AlreadyExists

FILES = [FileEntry("model.onnx", 10, "a" * 64), FileEntry("conf/MLmodel", 3, "b" * 64)]


def _model(tx: Transaction, name: str = "fraud", now: int = 1000) -> int:
    pid = tx.registry.project_id("default")
    if pid is None:
        pid = tx.registry.insert_project("default", "", now, "alice")
    return tx.registry.insert_model(name, pid, "a model", now, "alice")


def _version(tx: Transaction, model_id: int, now: int = 2000, **kw: Any) -> tuple[int, int]:
    tx.registry.touch_model(model_id, now, "alice")
    number = tx.registry.next_version(model_id)
    args: dict[str, Any] = {
        "status": "READY", "description": "", "source": "", "run_id": None, "flavor": "",
        "signature": None, "metrics": None, "files": [], "tags": {}, "now": now,
        "actor": "alice"}
    args.update(kw)
    return tx.registry.insert_version(model_id, number, **args), number


def _run(tx: Transaction, uuid: str = "r" * 32, experiment_id: int = 0) -> int:
    tx.tracking.ensure_default(1)
    return tx.tracking.insert_run(run_uuid=uuid, experiment_id=experiment_id, name="run",
                                  status="RUNNING", start_time=5, user_id="alice",
                                  parent_run_uuid=None)


class MetadataStoreContract:
    # -- projects and models ----------------------------------------------------------
    def test_projects_unique_and_listed(self, store: MetadataStore) -> None:
        with store.write() as tx:
            assert tx.registry.project_id("risk") is None
            tx.registry.insert_project("risk", "the risk team", 1, "alice")
            with pytest.raises(AlreadyExists):
                tx.registry.insert_project("risk", "", 2, "bob")
        with store.read() as tx:
            assert tx.registry.project_id("risk") is not None
            [p] = tx.registry.list_projects()
            assert (p.name, p.description, p.created_by) == ("risk", "the risk team", "alice")

    def test_model_insert_get_and_unique_name(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            with pytest.raises(AlreadyExists):
                _model(tx)
        with store.read() as tx:
            m = tx.registry.model("fraud")
            assert m is not None and m.id == mid and m.project == "default"
            assert (m.description, m.created_at, m.created_by, m.deleted) == (
                "a model", 1000, "alice", False)
            assert tx.registry.model("nope") is None

    def test_model_updates_tags_rename(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            _model(tx, "other")
            tx.registry.set_model_description(mid, "new", 1100, "bob")
            tx.registry.set_model_tag(mid, "team", "risk")
            tx.registry.set_model_tag(mid, "team", "fraud")
            tx.registry.set_model_tag(mid, "gone", "x")
            assert tx.registry.delete_model_tag(mid, "gone")
            assert not tx.registry.delete_model_tag(mid, "gone")
            with pytest.raises(AlreadyExists):
                tx.registry.rename_model(mid, "other", 1200, "bob")
        with store.write() as tx:
            tx.registry.rename_model(mid, "card-fraud", 1300, "bob")
        with store.read() as tx:
            assert tx.registry.model("fraud") is None
            m = tx.registry.model("card-fraud")
            assert m is not None and m.id == mid
            assert (m.description, m.updated_at, m.updated_by) == ("new", 1300, "bob")
            e = tx.registry.model_entity(m)
            assert e.name == "card-fraud" and e.tags == {"team": "fraud"}

    def test_soft_delete_frees_the_name_and_restore_conflicts(self, store: MetadataStore) -> None:
        with store.write() as tx:
            old = _model(tx)
            tx.registry.set_model_deleted(old, True, 1100, "alice")
        with store.write() as tx:
            assert tx.registry.model("fraud") is None
            deleted = tx.registry.model("fraud", deleted=True)
            assert deleted is not None and deleted.id == old and deleted.deleted
            new = _model(tx)
            assert new != old
        with store.write() as tx, pytest.raises(AlreadyExists):
            tx.registry.set_model_deleted(old, False, 1200, "alice")
        with store.read() as tx:
            live = tx.registry.model("fraud")
            assert live is not None and live.id == new

    # -- versions ---------------------------------------------------------------------
    def test_names_are_found_by_skeleton(self, store: MetadataStore) -> None:
        """Every write of a name keeps its skeleton key, so look-alikes are one query."""
        lookalike = skeleton_key("fraud\u2010model")
        with store.write() as tx:
            mid = _model(tx, "fraud-model")
            _model(tx, "other")
            tx.registry.insert_project("fraud-model", "", 1, "alice")
            tx.tracking.ensure_default(1)
            eid = tx.tracking.insert_experiment("exp", "", 1)
        with store.write() as tx:
            assert tx.registry.model_names_like(lookalike) == ["fraud-model"]
            assert tx.registry.project_names_like(lookalike) == ["fraud-model"]
            assert tx.tracking.experiment_names_like(skeleton_key("\u0435xp")) == ["exp"]
            assert tx.tracking.experiment_names_like(skeleton_key("Default")) == ["Default"]
            tx.registry.touch_model(mid, 2, "alice")
            tx.registry.rename_model(mid, "renamed", 2, "alice")
            tx.tracking.rename_experiment(eid, "moved", 2)
        with store.write() as tx:
            assert tx.registry.model_names_like(lookalike) == []
            assert tx.registry.model_names_like(skeleton_key("renamed")) == ["renamed"]
            assert tx.tracking.experiment_names_like(skeleton_key("moved")) == ["moved"]
            other = tx.registry.model("other")
            assert other is not None
            tx.registry.set_model_deleted(other.id, True, 3, "alice")
            assert tx.registry.model_names_like(skeleton_key("other")) == []  # live only

    def test_version_numbers_without_gaps(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            numbers = [_version(tx, mid)[1] for _ in range(3)]
            vid, _ = _version(tx, mid)
            tx.registry.set_version_deleted(vid, 3000, 3000, "alice")
            numbers.append(_version(tx, mid)[1])
        assert numbers == [1, 2, 3, 5]
        with store.write() as tx:
            other = _model(tx, "other")
            assert _version(tx, other)[1] == 1

    def test_concurrent_registrations_get_consecutive_numbers(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
        got: list[int] = []
        errors: list[BaseException] = []

        def register() -> None:
            try:
                for _ in range(5):
                    with store.write() as tx:
                        got.append(_version(tx, mid)[1])
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=register) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert sorted(got) == list(range(1, 21))

    def test_blob_lock_exclusive_waits_for_a_shared_holder(self, store: MetadataStore) -> None:
        """What keeps gc from deleting a blob a commit has checked (``domain/gc.py``)."""
        order: list[str] = []
        held = threading.Event()

        def collect() -> None:
            held.wait(10)
            with store.write() as tx:
                tx.lock_blobs(exclusive=True)
                order.append("gc")

        gc = threading.Thread(target=collect)
        gc.start()
        with store.write() as tx:
            tx.lock_blobs()
            held.set()
            time.sleep(0.3)  # the collection is waiting for this commit now
            order.append("commit")
        gc.join(30)
        assert order == ["commit", "gc"]

    def test_version_record_round_trip(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            vid, n = _version(tx, mid, description="first", source="runs:/x/model",
                              run_id="r" * 32, flavor="onnx", signature={"inputs": [1]},
                              metrics={"auc": 0.9}, files=FILES, tags={"k": "v"})
        with store.read() as tx:
            v = tx.registry.version_by_id(vid)
            assert v is not None
            assert (v.model_id, v.model, v.version, v.status, v.stage) == (
                mid, "fraud", n, "READY", "None")
            assert (v.signature, v.metrics, v.size, v.file_count) == (
                {"inputs": [1]}, {"auc": 0.9}, 13, 2)
            assert tx.registry.version(mid, n) == v
            assert tx.registry.live_version("fraud", number=n) == v
            assert tx.registry.files(vid) == FILES
            assert tx.registry.file(vid, "conf/MLmodel") == FILES[1]
            assert tx.registry.file(vid, "nope") is None
            e = tx.registry.version_entity(v, with_files=True)
            assert (e.model, e.version, e.tags, e.files) == ("fraud", n, {"k": "v"}, FILES)

    def test_stage_latest_and_soft_delete(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            v1, _ = _version(tx, mid)
            v2, _ = _version(tx, mid)
            tx.registry.update_version(v1, 2100, "bob", stage="Production", description="d")
        with store.read() as tx:
            prod = tx.registry.latest_version(mid, "production")
            assert prod is not None and prod.id == v1 and prod.description == "d"
            latest = tx.registry.latest_version(mid)
            assert latest is not None and latest.id == v2
            assert [v.id for v in tx.registry.versions_in_stage(mid, "Production")] == [v1]
            assert {v.id for v in tx.registry.latest_by_stage(["fraud"])} == {v1, v2}
        with store.write() as tx:
            tx.registry.set_version_deleted(v2, 2200, 2200, "bob")
        with store.read() as tx:
            assert tx.registry.live_version("fraud", number=2) is None
            assert tx.registry.version(mid, 2) is None
            gone = tx.registry.version(mid, 2, deleted=True)
            assert gone is not None and gone.deleted_at == 2200
            latest = tx.registry.latest_version(mid)
            assert latest is not None and latest.id == v1

    # -- aliases ----------------------------------------------------------------------
    def test_alias_moves(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            _version(tx, mid)
            _version(tx, mid)
            tx.registry.set_alias(mid, "champion", 1, 3000, "alice")
        with store.write() as tx:
            tx.registry.touch_model(mid, 3100, "bob")
            tx.registry.set_alias(mid, "champion", 2, 3100, "bob")
        with store.read() as tx:
            assert tx.registry.alias_version(mid, "champion") == 2
            assert tx.registry.aliases_of(mid, 1) == []
            assert tx.registry.aliases_of(mid, 2) == ["champion"]
            hit = tx.registry.live_version("fraud", alias="champion")
            assert hit is not None and hit.version == 2
            assert tx.registry.live_version("fraud", alias="nope") is None
            m = tx.registry.model("fraud")
            assert m is not None
            assert tx.registry.model_entity(m).aliases == {"champion": 2}
        with store.write() as tx:
            assert tx.registry.delete_alias(mid, "champion")
            assert not tx.registry.delete_alias(mid, "champion")
            tx.registry.set_alias(mid, "a", 1, 3200, "bob")
            tx.registry.delete_aliases_of(mid, 1)
            assert tx.registry.alias_version(mid, "a") is None

    # -- transactions -----------------------------------------------------------------
    def test_failed_transaction_leaves_nothing(self, store: MetadataStore) -> None:
        with pytest.raises(RuntimeError), store.write() as tx:
            mid = _model(tx)
            _version(tx, mid, files=FILES)
            tx.events.append(NewEvent("model.created", "model", "fraud", "default", "a", 1))
            raise RuntimeError("boom")
        with store.read() as tx:
            assert tx.registry.model("fraud") is None
            assert tx.events.list() == []
            assert tx.referenced_digests() == set()

    def test_failed_statement_rolls_back_the_whole_transaction(self, store: MetadataStore) -> None:
        with pytest.raises(AlreadyExists), store.write() as tx:
            _model(tx, "first")
            _model(tx, "first")
        with store.read() as tx:
            assert tx.registry.model("first") is None

    # -- tracking ---------------------------------------------------------------------
    def test_experiments(self, store: MetadataStore) -> None:
        with store.write() as tx:
            tx.tracking.ensure_default(1)
            tx.tracking.ensure_default(2)
            a = tx.tracking.insert_experiment("a", "", 10)
            b = tx.tracking.insert_experiment("b", "s3://x", 11)
            with pytest.raises(AlreadyExists):
                tx.tracking.insert_experiment("a", "", 12)
        assert 0 < a < b
        with store.write() as tx:
            tx.tracking.rename_experiment(a, "a2", 20)
            tx.tracking.set_experiment_tag(a, "k", "v")
            tx.tracking.set_experiment_lifecycle(b, "deleted", 21, 21)
        with store.read() as tx:
            default = tx.tracking.experiment(0)
            assert default is not None and default.name == "Default"
            e = tx.tracking.experiment_by_name("a2")
            assert e is not None and e.id == a and e.updated_at == 20
            assert tx.tracking.experiment_entity(e).tags == {"k": "v"}
            eb = tx.tracking.experiment(b)
            assert eb is not None and eb.lifecycle_stage == "deleted"
            assert eb.artifact_location == "s3://x"

    def test_runs_params_tags_metrics(self, store: MetadataStore) -> None:
        with store.write() as tx:
            rid = _run(tx)
            tx.tracking.update_run(rid, status="FINISHED", end_time=9)
            tx.tracking.insert_params(rid, {"lr": "0.1"})
            tx.tracking.set_run_tags(rid, {"t": "1"})
            tx.tracking.set_run_tags(rid, {"t": "2"})
            tx.tracking.insert_metrics(rid, [Metric("loss", 1.0, 0, 1), Metric("loss", 0.5, 1, 2),
                                             Metric("odd", math.nan, 0, 1),
                                             Metric("big", math.inf, 0, 1)])
        with store.read() as tx:
            r = tx.tracking.run("r" * 32)
            assert r is not None and r.id == rid
            assert (r.status, r.end_time, r.experiment_id, r.lifecycle_stage) == (
                "FINISHED", 9, 0, "active")
            assert tx.tracking.params_of(rid, ["lr", "x"]) == {"lr": "0.1"}
            run = tx.tracking.run_entity(r)
            assert run.params == {"lr": "0.1"} and run.tags == {"t": "2"}
            assert run.metrics["loss"] == 0.5 and math.isnan(run.metrics["odd"])
            assert run.metrics["big"] == math.inf
            assert [m.value for m in tx.tracking.metric_history(rid, "loss", 0, 10)] == [1.0, 0.5]
            assert tx.tracking.metric_keys(rid) == ["big", "loss", "odd"]
        with store.write() as tx:
            tx.tracking.set_run_lifecycle(rid, "deleted", 50)
            assert tx.tracking.delete_run_tag(rid, "t")
        with store.read() as tx:
            r = tx.tracking.run("r" * 32)
            assert r is not None and (r.lifecycle_stage, r.deleted_at) == ("deleted", 50)

    def test_run_artifacts_replace_by_path(self, store: MetadataStore) -> None:
        with store.write() as tx:
            rid = _run(tx)
            tx.tracking.put_artifacts(rid, FILES)
            tx.tracking.put_artifacts(rid, [FileEntry("model.onnx", 11, "c" * 64)])
        with store.read() as tx:
            assert tx.tracking.artifact(rid, "model.onnx") == FileEntry("model.onnx", 11, "c" * 64)
            assert [f.path for f in tx.tracking.artifacts(rid)] == ["conf/MLmodel", "model.onnx"]
            assert [f.path for f in tx.tracking.artifacts(rid, "conf")] == ["conf/MLmodel"]
            assert tx.referenced_digests() == {"b" * 64, "c" * 64}

    # -- datasets, lineage, logged models, events -------------------------------------
    def test_datasets_versions_and_inputs(self, store: MetadataStore) -> None:
        with store.write() as tx:
            did = tx.datasets.insert_dataset("tx", 1, "alice")
            assert tx.datasets.insert_dataset("tx", 2, "bob") == did
            n1 = tx.datasets.next_version(did)
            v1 = tx.datasets.insert_version(
                did, n1, digest="d1", source="s3://b/tx", source_type="s3", description="",
                profile={"rows": 3}, tags={"k": "v"}, files=FILES, now=3, actor="alice")
            n2 = tx.datasets.next_version(did)
            rid = _run(tx)
            tx.tracking.add_input(rid, v1, "training", 4)
        assert (n1, n2) == (1, 2)
        with store.read() as tx:
            d = tx.datasets.dataset("tx")
            assert d is not None and d.id == did
            v = tx.datasets.version_by_digest(did, "d1")
            assert v is not None and v.id == v1 and v.ref == "tx/1"
            assert (v.profile, v.tags, v.size) == ({"rows": 3}, {"k": "v"}, 13)
            assert tx.datasets.version(did, 1) == v == tx.datasets.latest_version(did)
            assert tx.datasets.version_entity(v, with_files=True).files == FILES
            assert tx.datasets.dataset_entity(d).latest_version == 1
            assert tx.tracking.inputs_of([rid])[rid][0]["context"] == "training"
            assert tx.lineage.inputs_of_run(rid) == [(v1, "training")]

    def test_deployments(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            vid, _ = _version(tx, mid)
            tx.lineage.insert_deployment("d" * 32, vid, "http://svc", "prod", 10, "alice")
        with store.write() as tx:
            found = tx.lineage.deployment("d" * 32)
            assert found is not None and found[1] == vid
            assert (found[0].model, found[0].version, found[0].ended_at) == ("fraud", 1, None)
            tx.lineage.end_deployment("d" * 32, 20)
        with store.read() as tx:
            assert tx.lineage.list_deployments(model_id=mid) == []
            [dep] = tx.lineage.list_deployments(model_id=mid, active_only=False)
            assert dep.ended_at == 20

    def test_ids_by_prefix(self, store: MetadataStore) -> None:
        runs = ["ab12" + "0" * 28, "ab12" + "1" * 28, "cd34" + "0" * 28]
        deps = ["ef56" + "0" * 28, "ef56" + "1" * 28]
        with store.write() as tx:
            for uuid in runs:
                _run(tx, uuid)
            vid, _ = _version(tx, _model(tx))
            for dep_id in deps:
                tx.lineage.insert_deployment(dep_id, vid, "http://svc", "", 10, "alice")
        with store.read() as tx:
            assert sorted(tx.tracking.run_ids_with_prefix("ab12", 10)) == runs[:2]
            assert tx.tracking.run_ids_with_prefix("cd34", 10) == [runs[2]]
            assert len(tx.tracking.run_ids_with_prefix("ab12", 1)) == 1
            assert tx.tracking.run_ids_with_prefix("ffff", 10) == []
            assert sorted(tx.lineage.deployment_ids_with_prefix("ef56", 10)) == deps
            assert tx.lineage.deployment_ids_with_prefix("ef561", 10) == [deps[1]]
            assert tx.lineage.deployment_ids_with_prefix("ab12", 10) == []

    def test_deployment_heartbeats(self, store: MetadataStore) -> None:
        with store.write() as tx:
            mid = _model(tx)
            vid, _ = _version(tx, mid)
            tx.lineage.insert_deployment("a" * 32, vid, "http://a", "", 10, "alice")
            tx.lineage.insert_deployment("b" * 32, vid, "http://b", "", 10, "alice")
            tx.lineage.heartbeat_deployment("b" * 32, 15)
        with store.read() as tx:
            found = tx.lineage.deployment("b" * 32)
            assert found is not None and found[0].heartbeat_at == 15
            assert tx.lineage.stale_deployments(15) == []  # "a" never heartbeats
            assert tx.lineage.stale_deployments(16) == ["b" * 32]
        with store.write() as tx:
            tx.lineage.end_deployment("b" * 32, 20)
        with store.read() as tx:
            assert tx.lineage.stale_deployments(100) == []

    def test_logged_models(self, store: MetadataStore) -> None:
        with store.write() as tx:
            _run(tx)
            lid = tx.logged_models.insert(model_id="m-1", experiment_id="0", name="m",
                                          source_run_id="r" * 32, model_type="",
                                          params={"p": "1"}, tags={"a": "1"}, now=1,
                                          actor="alice")
            tx.logged_models.put_files(lid, FILES)
            tx.logged_models.set_tag(lid, "a", "2")
            tx.logged_models.set_status(lid, "READY", 2)
            tx.logged_models.add_output("r" * 32, "m-1", 3)
        with store.read() as tx:
            rec = tx.logged_models.get("m-1")
            assert rec is not None and rec.id == lid and rec.status == "READY"
            e = tx.logged_models.entity(rec)
            assert (e.params, e.tags, e.updated_at) == ({"p": "1"}, {"a": "2"}, 2)
            assert tx.logged_models.files(lid) == sorted(FILES, key=lambda f: f.path)
            assert tx.logged_models.outputs("r" * 32) == [("m-1", 3)]
        with store.write() as tx:
            tx.logged_models.mark_deleted(lid, 4)
        with store.read() as tx:
            assert tx.logged_models.get("m-1") is None

    def test_events_append_and_list(self, store: MetadataStore) -> None:
        with store.write() as tx:
            for i, (type_, entity) in enumerate([("model.created", "fraud"),
                                                  ("version.created", "fraud/1"),
                                                  ("model.renamed", "card")]):
                tx.events.append(NewEvent(type_, type_.split(".")[0], entity, "default",
                                          "alice", i, after={"i": i}))
        with store.read() as tx:
            every = tx.events.list()
            assert [e.entity_id for e in every] == ["fraud", "fraud/1", "card"]
            assert every[0].after == {"i": 0} and every[0].before is None
            assert [e.type for e in tx.events.list(type_prefix="model.")] == [
                "model.created", "model.renamed"]
            assert [e.entity_id for e in tx.events.list(entity_id="fraud/1")] == ["fraud/1"]
            assert [e.id for e in tx.events.list(after_id=every[1].id)] == [every[2].id]
            assert tx.events.list(newest_first=True, limit=1)[0].id == every[2].id
