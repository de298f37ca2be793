"""The registry behaviour suite, run over the in-process and the HTTP client on every
database backend."""

from __future__ import annotations

import hashlib

import pytest

from modelyard import AlreadyExists, InvalidParameter, NotFound


def test_create_get_and_duplicate(client):
    m = client.create_model("fraud", "detects fraud", {"team": "risk"})
    assert (m.name, m.description, m.tags, m.project) == ("fraud", "detects fraud",
                                                          {"team": "risk"}, "default")
    assert m.created_by == "anonymous" and m.created_at > 0
    assert client.get_model("fraud").tags == {"team": "risk"}
    with pytest.raises(AlreadyExists):
        client.create_model("fraud")
    with pytest.raises(NotFound):
        client.get_model("nope")


@pytest.mark.parametrize("bad", ["", " ", "a" * 257, "bad\x00name", "tab\tname", "a/b",
                                 "x@y", "..", " lead"])
def test_invalid_model_names(client, bad):
    with pytest.raises(InvalidParameter):
        client.create_model(bad)


def test_register_numbering_manifest_and_download(client, model_dir, tmp_path):
    v1 = client.register("fraud", model_dir, description="first", tags={"team": "risk"})
    v2 = client.register("fraud", model_dir)
    assert (v1.version, v2.version) == (1, 2)
    assert v1.status == "READY" and v1.description == "first" and v1.tags == {"team": "risk"}
    got = client.get_version("fraud", 1)
    paths = {f.path: f for f in got.files}
    assert set(paths) == {"MLmodel", "weights/w.bin"}
    data = (model_dir / "weights" / "w.bin").read_bytes()
    assert paths["weights/w.bin"].sha256 == hashlib.sha256(data).hexdigest()
    assert paths["weights/w.bin"].size == len(data) == got.size - 13
    out = client.download("fraud/2", tmp_path / "out")
    assert (out / "weights" / "w.bin").read_bytes() == data
    assert client.read_file("fraud/1", "MLmodel") == b"flavor: test\n"
    with pytest.raises(NotFound):
        client.read_file("fraud/1", "nope.txt")


def test_second_version_uploads_nothing_twice(client, model_dir):
    client.register("fraud", model_dir)
    sent = []
    from modelyard.client.hashing import scan

    files = scan(model_dir)
    assert client.upload_files(files, progress=sent.append) == 0
    assert client.missing_blobs([f.sha256 for f, _ in files]) == []


def test_register_single_file(client, tmp_path):
    f = tmp_path / "model.onnx"
    f.write_bytes(b"onnx-bytes")
    v = client.register("single", f)
    assert [x.path for x in client.get_version("single", v.version).files] == ["model.onnx"]


def test_commit_refuses_missing_blob_and_leaves_nothing(client):
    from modelyard.domain.entities import FileEntry

    client.create_model("m")
    with pytest.raises(InvalidParameter, match="not uploaded"):
        client.create_version("m", [FileEntry("a.bin", 3, "a" * 64)])
    assert client.search_versions("name = 'm'").items == []
    # numbering is not consumed by a refused commit
    assert client.get_model("m").latest_version is None


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "a\\b", "a/./b", "",
                                  "%2e%2e/x", "a/%252e%252e/b", "nul\x00", "a//b"])
def test_manifest_paths_refused(client, model_dir, path):
    from modelyard.client.hashing import scan

    files = scan(model_dir)
    client.upload_files(files)
    entry = files[0][0]
    from modelyard.domain.entities import FileEntry

    client.create_model("m")
    with pytest.raises(InvalidParameter):
        client.create_version("m", [FileEntry(path, entry.size, entry.sha256)])


def test_aliases(client, model_dir):
    for _ in range(3):
        client.register("fraud", model_dir)
    client.set_alias("fraud", "production", 2)
    assert client.resolve("fraud@production").version == 2
    assert client.resolve("models:/fraud@production").version == 2
    assert client.get_model("fraud").aliases == {"production": 2}
    assert client.get_version("fraud", 2).aliases == ["production"]
    client.set_alias("fraud", "production", 3)
    assert client.resolve("fraud@production").version == 3
    with pytest.raises(NotFound):
        client.set_alias("fraud", "production", 9)
    with pytest.raises(InvalidParameter):
        client.set_alias("fraud", "latest", 1)
    client.delete_alias("fraud", "production")
    with pytest.raises(NotFound):
        client.resolve("fraud@production")


def test_deleted_version_loses_aliases_and_restores(client, model_dir):
    client.register("fraud", model_dir)
    client.register("fraud", model_dir)
    client.set_alias("fraud", "production", 2)
    client.delete_version("fraud", 2)
    with pytest.raises(NotFound):
        client.get_version("fraud", 2)
    with pytest.raises(NotFound):
        client.resolve("fraud@production")
    assert client.resolve("fraud/latest").version == 1
    assert [v.version for v in client.search_versions("name = 'fraud'", deleted=True)] == [2]
    restored = client.restore_version("fraud", 2)
    assert restored.version == 2 and not restored.deleted
    v3 = client.register("fraud", model_dir)
    assert v3.version == 3  # numbers are never reused


def test_model_soft_delete_restore_and_reuse_name(client, model_dir):
    client.register("fraud", model_dir)
    client.delete_model("fraud")
    with pytest.raises(NotFound):
        client.get_model("fraud")
    assert [m.name for m in client.search_models(deleted=True)] == ["fraud"]
    client.restore_model("fraud")
    assert client.get_version("fraud", 1).version == 1
    client.delete_model("fraud")
    client.create_model("fraud")  # the name is free while the old one is deleted
    with pytest.raises(AlreadyExists):
        client.restore_model("fraud")


def test_rename_update_and_tags(client, model_dir):
    client.register("a", model_dir)
    client.create_model("b")
    with pytest.raises(AlreadyExists):
        client.rename_model("a", "b")
    m = client.rename_model("a", "c")
    assert m.name == "c" and client.get_version("c", 1).model == "c"
    assert client.update_model("c", "new text").description == "new text"
    client.set_model_tag("c", "k", "v")
    client.set_model_tag("c", "k", "v2")
    assert client.get_model("c").tags == {"k": "v2"}
    client.delete_model_tag("c", "k")
    with pytest.raises(NotFound):
        client.delete_model_tag("c", "k")
    client.set_version_tag("c", 1, "validated", "yes")
    assert client.get_version("c", 1).tags == {"validated": "yes"}
    client.delete_version_tag("c", 1, "validated")
    assert client.update_version("c", 1, "v text").description == "v text"
    with pytest.raises(InvalidParameter):
        client.set_model_tag("c", "k", "x" * 5001)


def test_stages_with_archive_existing(client, model_dir):
    for _ in range(3):
        client.register("fraud", model_dir)
    client.transition_stage("fraud", 1, "production")
    assert client.get_version("fraud", 1).stage == "Production"
    client.transition_stage("fraud", 2, "Production", archive_existing=True)
    assert client.get_version("fraud", 1).stage == "Archived"
    assert client.resolve("fraud/Production").version == 2
    client.transition_stage("fraud", 3, "Staging")
    assert client.resolve("fraud/staging").version == 3
    with pytest.raises(InvalidParameter):
        client.transition_stage("fraud", 3, "Canary")


def test_search_filters_order_and_pages(client, model_dir):
    for i in range(7):
        client.create_model(f"fraud-{i}", tags={"team": "risk" if i % 2 else "growth"})
    client.create_model("churn", tags={"team": "risk"})
    page = client.search_models("name LIKE 'fraud%' AND tags.team = 'risk'")
    assert [m.name for m in page] == ["fraud-1", "fraud-3", "fraud-5"]
    got = [m.name for m in client.search_models(
        "(name = 'churn' OR name IN ('fraud-0', 'fraud-2')) AND tags.team != 'nope'",
        order_by=["name DESC"])]
    assert got == ["fraud-2", "fraud-0", "churn"]
    names, token = [], None
    while True:
        p = client.search_models("name LIKE 'fraud-%'", max_results=3, page_token=token)
        names += [m.name for m in p]
        token = p.next_page_token
        if not token:
            break
    assert names == [f"fraud-{i}" for i in range(7)]
    for _ in range(5):
        client.register("fraud-0", model_dir)
    assert [v.version for v in client.search_versions(
        "name = 'fraud-0' AND version_number > 3", order_by=["version_number ASC"])] == [4, 5]
    with pytest.raises(InvalidParameter):
        client.search_models("name === 'x'")
    with pytest.raises(InvalidParameter):
        client.search_models("bogus = 'x'")
    with pytest.raises(InvalidParameter):
        client.search_models("name = 'x'", page_token="not-a-token")


def test_search_injection_is_data(client):
    client.create_model("it's")
    assert [m.name for m in client.search_models("name = 'it''s'")] == ["it's"]
    assert client.search_models("name = 'x'' OR ''1''=''1'").items == []


def test_events_record_every_change(client, model_dir):
    client.register("fraud", model_dir)
    client.set_alias("fraud", "production", 1)
    types = [e.type for e in client.list_events(max_results=100)]
    assert types[-3:] == ["model.created", "model_version.created", "alias.moved"]
    alias_events = client.list_events(entity_type="alias", entity_id="fraud@production")
    assert alias_events.items[0].after == {"version": 1, "via": "set", "request_id": None}
    assert alias_events.items[0].actor == "anonymous"


def test_parents_and_metrics(client, model_dir):
    client.register("base", model_dir)
    v = client.register("tuned", model_dir, parents=["base/1"], metrics={"auc": 0.97})
    assert [(p.model, p.version) for p in v.parents] == [("base", 1)]
    assert client.get_version("tuned", 1).metrics == {"auc": 0.97}


def test_gc_removes_only_unreferenced(client, model_dir, tmp_path):
    client.register("keep", model_dir)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.bin").write_bytes(b"only here")
    client.register("drop", other)
    client.delete_model("drop")
    report = client.gc(grace_seconds=0, force=True)
    assert report["models_purged"] == 1 and report["blobs_deleted"] == 1
    assert client.get_version("keep", 1).files
    client.download("keep/1", tmp_path / "dl")


def test_unknown_version_and_model_errors(client):
    with pytest.raises(NotFound):
        client.get_version("nope", 1)
    client.create_model("m")
    with pytest.raises(NotFound):
        client.get_version("m", 1)
    with pytest.raises(NotFound):
        client.resolve("m/latest")
    with pytest.raises(InvalidParameter):
        client.resolve("no-slash")


def test_download_of_a_lost_blob_fails_cleanly(client, services, model_dir, tmp_path):
    v = client.register("m", model_dir)
    lost = next(f for f in client.get_version("m", v.version).files if f.path == "weights/w.bin")
    services.blobs.delete(lost.sha256)
    out = tmp_path / "out"
    with pytest.raises(NotFound):
        client.download("m/1", out)
    assert not (out / "weights" / "w.bin").exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
