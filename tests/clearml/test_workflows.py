"""Reruns, automatic capture, awkward project names, models registered natively, and
a token that may only read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from modelyard.domain.entities import ANONYMOUS, FileEntry
from modelyard.services import Services
from tests.clearml.conftest import Runner, clearml_env, fresh_home


def test_rerun_creates_a_new_task_and_stores_the_weights_once(
        server_url: str, services: Services, run_script: Runner, tmp_path: Path) -> None:
    home = fresh_home(tmp_path, "p")
    first = run_script("producer.py", clearml_env(server_url, home), "rerun", "train", "rr")
    second = run_script("producer.py", clearml_env(server_url, home), "rerun", "train", "rr")
    # The first task is completed and has an output model: the SDK does not reuse it.
    assert second["task"] != first["task"]
    v1 = services.registry.get_version(ANONYMOUS, "rr", 1, with_files=True)
    v2 = services.registry.get_version(ANONYMOUS, "rr", 2, with_files=True)
    assert (v1.run_id, v2.run_id) == (first["task"], second["task"])
    assert v1.files and v2.files and v1.files[0].sha256 == v2.files[0].sha256
    consumed = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "c")),
                          "rerun", "production")
    assert set(consumed["ids"]) == {first["model"], second["model"]}


def test_defaults_capture_a_joblib_dump(server_url: str, services: Services,
                                        run_script: Runner, tmp_path: Path) -> None:
    done = run_script("autocapture.py", clearml_env(server_url, fresh_home(tmp_path, "a")),
                      "auto", "defaults")
    run = services.tracking.get_run(ANONYMOUS, done["task"])
    assert run.status == "FINISHED"
    versions = services.registry.search_versions(ANONYMOUS, f"run_id = '{run.run_id}'").items
    assert [v.model for v in versions] == ["defaults - auto_model"]
    assert versions[0].size > 0 and versions[0].tags["clearml.framework"] == "ScikitLearn"
    assert run.tags["clearml.status"] == "completed"


# Past the SDK's 30 s resource-report period, on its own timing, so one backend: the embedded default, where the
# background reporter's concurrent writes meet SQLite's single writer.  The other
# workflows here run on every backend.
@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_half_a_minute_of_background_reporting(server_url: str, services: Services,
                                          run_script: Runner, tmp_path: Path) -> None:
    done = run_script("autocapture.py", clearml_env(server_url, fresh_home(tmp_path, "a")),
                      "slow", "minute", "35", timeout=400)
    run = services.tracking.get_run(ANONYMOUS, done["task"])
    assert run.status == "FINISHED"
    assert len(services.tracking.get_metric_history(ANONYMOUS, run.run_id, "loss/train")) == 35


def test_project_name_with_spaces_and_slash(server_url: str, services: Services,
                                            run_script: Runner, tmp_path: Path) -> None:
    project = "fraud detection/sub proj"
    produced = run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "p")),
                          project, "rf training", "spaced model")
    assert produced["project"]
    consumed = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "c")),
                          project, "production")
    assert consumed["ids"] == [produced["model"]] and consumed["size"]
    exp = services.tracking.get_experiment(ANONYMOUS, produced["project"])
    assert exp.tags["clearml.name"] == project
    # The project of its models: the experiment's name ("/" stored as U+2215).
    assert services.registry.get_model(ANONYMOUS, "spaced model").project == exp.name
    assert exp.name == "fraud detection\u2215sub proj"


def test_natively_registered_versions_are_models(server_url: str, services: Services,
                                                 run_script: Runner, tmp_path: Path) -> None:
    who = ANONYMOUS
    exp = services.tracking.create_experiment(who, "native")
    run = services.tracking.create_run(who, exp.experiment_id, run_name="fit")
    data = b"native weights"
    digest = hashlib.sha256(data).hexdigest()
    weights = tmp_path / "w.bin"
    weights.write_bytes(data)
    services.blob_service.put_file(who, str(weights), digest)
    services.registry.create_model(who, "native-model")
    services.registry.create_version(who, "native-model", [FileEntry("w.bin", len(data), digest)],
                                     tags={"production": ""}, run_id=run.run_id)
    consumed = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "c")),
                          "native", "production")
    assert consumed["names"] == ["native-model"] and consumed["size"] == len(data)


def test_read_only_token_is_refused_and_can_read(server_url: str, services: Services,
                                                 run_script: Runner, tmp_path: Path) -> None:
    run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "p")),
               "guarded", "train", "guarded_model")
    admin = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    assert admin.token
    root = services.access.authenticate_token(admin.token)
    reader = services.access.create_token(root, "reader", scope="read")
    token_id, secret = reader.id, reader.secret.split("_", 2)[2]
    refused = run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "r"),
                                                    token_id, secret),
                         "guarded", "again", "other", expect_ok=False, timeout=120)
    assert refused["returncode"] != 0
    assert "read-only" in refused["stdout"] + refused["stderr"]
    consumed = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "c"),
                                                     token_id, secret), "guarded", "production")
    assert len(consumed["ids"]) == 1 and consumed["size"]
    bad = run_script("consumer.py", clearml_env(server_url, fresh_home(tmp_path, "b"),
                                                token_id, "wrong"), "guarded", "production",
                     expect_ok=False, timeout=120)
    assert bad["returncode"] != 0


def test_models_go_into_the_project_a_non_admin_may_use(
        server_url: str, services: Services, run_script: Runner, tmp_path: Path) -> None:
    admin = services.access.create_user(ANONYMOUS, "root", is_admin=True)
    assert admin.token
    root = services.access.authenticate_token(admin.token)
    services.access.create_user(root, "bob")
    services.access.grant_role(root, "bob", "editor", project="default")
    services.registry.create_project(root, "team")
    services.access.grant_role(root, "bob", "editor", project="team")
    made = services.access.create_token(root, "laptop", user="bob")
    pair = (made.id, made.secret.split("_", 2)[2])
    # A project an admin created: bob's models go there.
    run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "t"), *pair),
               "team", "train", "team_model")
    assert services.registry.get_model(root, "team_model").project == "team"
    # None of that name, and bob may not create projects: the default project.
    run_script("producer.py", clearml_env(server_url, fresh_home(tmp_path, "b"), *pair),
               "bobs", "train", "bobs_model")
    assert services.registry.get_model(root, "bobs_model").project == "default"
    assert "bobs" not in {p.name for p in services.registry.list_projects(root)}
