"""The first writes to a new registry, all at once: the default project is created
lazily by whichever comes first, and every one of them succeeds (found by running two
servers behind a proxy: concurrent first registrations answered "project 'default'
already exists")."""

from __future__ import annotations

from modelyard.client.local import LocalClient
from tests.concurrently import at_once

N = 8


def test_concurrent_first_models_all_succeed(services) -> None:
    client = LocalClient("test", services=services)
    names = at_once(N, lambda i: client.create_model(f"first-{i}").name)
    assert sorted(names) == sorted(f"first-{i}" for i in range(N))
    assert [p.name for p in client.list_projects()] == ["default"]


def test_concurrent_first_runs_and_experiments_all_succeed(services) -> None:
    """The default experiment is created by whichever comes first (on MariaDB, four
    first experiments at once dead-locked when it was created inside each writer's
    transaction)."""
    client = LocalClient("test", services=services)
    runs = at_once(N, lambda i: client.create_run("0", run_name=f"r{i}").run_id)
    experiments = at_once(N, lambda i: client.create_experiment(f"e{i}").experiment_id)
    assert len(set(runs)) == N and len(set(experiments)) == N
    assert {e.experiment_id for e in client.search_experiments()} == {"0", *experiments}


def test_concurrent_first_logged_models_and_datasets_all_succeed(services, tmp_path) -> None:
    from modelyard.domain.entities import ANONYMOUS

    lm = at_once(N, lambda i: services.logged_models.create(ANONYMOUS, "0", f"m{i}").model_id)
    assert len(set(lm)) == N
    client = LocalClient("test", services=services)
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n")
    versions = at_once(N, lambda i: client.log_dataset(data, "shared").version)
    assert set(versions) == {1}
