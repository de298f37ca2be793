"""The tracking half of the metadata-store contract: experiments, runs, metrics, run
artifacts, datasets, deployments, logged models and events (see
:mod:`modelyard.testing.metadata`)."""

from __future__ import annotations

import math

import pytest

from modelyard.domain.entities import FileEntry, Metric, ModelMetric
from modelyard.domain.ports import MetadataStore
from modelyard.domain.records import NewEvent
from modelyard.errors import AlreadyExists
from modelyard.testing.metadata_base import FILES, _model, _run, _version


class TrackingStoreContract:
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
            tx.tracking.insert_params(rid, {"lr": "0.1", "Lr": "1", "a": "2"})
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
            assert run.params == {"lr": "0.1", "Lr": "1", "a": "2"} and run.tags == {"t": "2"}
            assert list(run.params) == ["Lr", "a", "lr"]  # code points, not the collation
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
            # By the run's id, in one statement: the same files; [] for a run without
            # files (or none under the prefix), None for no run.
            for prefix in ("", "conf", "model.onnx", "con", "nope", "%", "_onf"):
                assert tx.tracking.run_files("r" * 32, prefix) == tx.tracking.artifacts(
                    rid, prefix), prefix
            assert tx.tracking.run_files("r" * 32, "nope") == []
            assert tx.tracking.run_files("q" * 32) is None
        with store.write() as tx:
            _run(tx, "e" * 32)
        with store.read() as tx:
            assert tx.tracking.run_files("e" * 32) == []
            assert tx.tracking.run_files("e" * 32, "conf") == []

    # -- datasets, lineage, logged models, events -------------------------------------
    def test_datasets_versions_and_inputs(self, store: MetadataStore) -> None:
        with store.write() as tx:
            did = tx.datasets.dataset_locked("tx", 1, "alice")
            assert tx.datasets.dataset_locked("tx", 2, "bob") == did
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

    def test_logged_model_metrics_and_run_io(self, store: MetadataStore) -> None:
        """MLflow 3's metrics of logged models, searched by dataset and metric, and the
        logged models a run read and produced."""
        from modelyard.domain.search import Compare, Field, Node, OrderKey

        point = ModelMetric
        with store.write() as tx:
            _run(tx)
            ids = [tx.logged_models.insert(model_id=f"m-{i}", experiment_id="0", name=f"m{i}",
                                           source_run_id=None, model_type="", params={},
                                           tags={}, now=i, actor="a") for i in (1, 2)]
            tx.logged_models.add_metrics(ids[0], [
                point("acc", 0.9, 5, 1, "r" * 32, "train", "d1"),
                point("acc", 0.9, 5, 1, "r" * 32, "train", "d1"),  # an exact repeat
                point("acc", math.nan, 6, 2, "r" * 32)])
            tx.logged_models.add_metrics(ids[1], [point("acc", 0.4, 5, 1, "r" * 32, "test")])
            tx.logged_models.set_params(ids[0], {"lr": "0.1"})
            tx.logged_models.add_input("r" * 32, "m-2", 7)
            tx.logged_models.add_input("r" * 32, "m-2", 8)
            tx.logged_models.add_output("r" * 32, "m-1", 3)
        with store.read() as tx:
            rec = tx.logged_models.get("m-1")
            assert rec is not None
            e = tx.logged_models.entity(rec)
            assert e.params == {"lr": "0.1"} and len(e.metrics) == 2
            assert e.metrics[0] == point("acc", 0.9, 5, 1, "r" * 32, "train", "d1")
            assert math.isnan(e.metrics[1].value)
            assert tx.logged_models.inputs_of(["r" * 32]) == {"r" * 32: ["m-2"]}

            def names(node: Node | None = None,
                      datasets: list[tuple[str, str | None]] | None = None,
                      order: list[OrderKey] | None = None,
                      order_on: list[tuple[str | None, str | None] | None] | None = None
                      ) -> list[str]:
                return [m.name for m in tx.logged_models.search(
                    [], node, order or [], 0, 10, datasets, order_on)]

            above = Compare(Field("metric", "acc"), ">", 0.5)
            assert names(above) == ["m1"]
            assert names(Compare(Field("param", "lr"), "=", "0.1")) == ["m1"]
            assert names(above, [("test", None)]) == []
            assert names(None, [("train", "d1")]) == ["m1"]
            assert names(None, [("train", "other")]) == []
            assert names(None, [("test", None), ("train", None)]) == ["m2", "m1"]
            by_acc = [OrderKey(Field("metric", "acc"))]
            # NaN orders as 0 (as MLflow stores it); on "train" only m1 has a point
            assert names(order=by_acc) == ["m1", "m2"]
            assert names(order=[OrderKey(Field("metric", "acc"), True)],
                         order_on=[("train", None)]) == ["m1", "m2"]
            assert names(order=by_acc, order_on=[(None, "d1")]) == ["m1", "m2"]
            assert names(order=by_acc, order_on=[("test", None)]) == ["m2", "m1"]
            run = tx.tracking.run_entities([r for r in [tx.tracking.run("r" * 32)]
                                            if r is not None])[0]
            assert run.model_inputs == ["m-2"]
            assert run.model_outputs == [{"model_id": "m-1", "step": 3}]

    def test_events_append_and_list(self, store: MetadataStore) -> None:
        with store.write() as tx:
            for i, (type_, entity) in enumerate([("model.created", "fraud"),
                                                  ("model_version.created", "fraud/1"),
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
