"""The behaviour every MetadataStore must have, through its repositories.

Subclass :class:`MetadataStoreContract` in a test module and provide a ``store``
fixture returning a fresh, empty, migrated store (see ``tests/contract``).  Writes
follow the protocol the domain follows: a write on a model first takes the model's
row lock (``touch_model``), a write on a run first reads it with ``lock=True``.
"""

from __future__ import annotations

import threading
import time

import pytest

from modelyard.domain.names import skeleton_key
from modelyard.domain.ports import MetadataStore
from modelyard.domain.entities import ParentLink
from modelyard.domain.records import NewEvent
from modelyard.errors import AlreadyExists
from modelyard.testing.metadata_base import FILES, _model, _run, _version, _version_record
from modelyard.testing.metadata_tracking import TrackingStoreContract

__all__ = ["FILES", "MetadataStoreContract", "_model", "_run", "_version"]


class MetadataStoreContract(TrackingStoreContract):
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
        with store.write() as tx:  # keys in code-point order, whatever the collation
            for key in ("b", "Z", "a"):
                tx.registry.set_model_tag(mid, key, "x")
        with store.read() as tx:
            m = tx.registry.model("card-fraud")
            assert m is not None
            assert list(tx.registry.model_entity(m).tags) == ["Z", "a", "b", "team"]

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
        with store.write() as tx:  # the number comes with the name under the row lock
            tx.registry.rename_model(other, "renamed", 4000, "bob")
            assert tx.registry.take_version(other, 4001, "bob") == (2, "renamed")
            tx.registry.set_model_deleted(other, True, 4002, "bob")
            assert tx.registry.take_version(other, 4003, "bob") is None  # deleted: none

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
            parent = _version_record(tx, mid)
            written = _version_record(
                tx, mid, description="first", source="runs:/x/model", run_id="r" * 32,
                flavor="onnx", signature={"inputs": [1], "t": (2, 3)},
                metrics={"auc": 0.9}, files=FILES, tags={"k": "v", "B": "1", "a": "2"})
            tx.registry.add_parent(written.id, parent.id, "derived_from")
            link = ParentLink(model="fraud", version=parent.version)
            new_entity = tx.registry.new_version_entity(
                written, {"k": "v", "B": "1", "a": "2"}, [(parent.id, link)])
            vid, n = written.id, written.version
        with store.read() as tx:
            v = tx.registry.version_by_id(vid)
            assert v is not None
            # What the insert answered is what a read gives (the tuple comes back a list).
            assert written == v
            read = tx.registry.version_entity(v)
            assert read == new_entity
            assert list(read.tags) == list(new_entity.tags) == ["B", "a", "k"]
            assert (v.model_id, v.model, v.version, v.status, v.stage) == (
                mid, "fraud", n, "READY", "None")
            assert (v.signature, v.metrics, v.size, v.file_count) == (
                {"inputs": [1], "t": [2, 3]}, {"auc": 0.9}, 13, 2)
            assert tx.registry.version(mid, n) == v
            assert tx.registry.live_version("fraud", number=n) == v
            assert tx.registry.files(vid) == FILES
            assert tx.registry.file(vid, "conf/MLmodel") == FILES[1]
            assert tx.registry.file(vid, "nope") is None
            e = tx.registry.version_entity(v, with_files=True)
            assert (e.model, e.version, e.tags, e.files) == (
                "fraud", n, {"k": "v", "B": "1", "a": "2"}, FILES)

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
