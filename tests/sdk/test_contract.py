"""Both transports offer the one client contract: every operation, with the same
signature, and nothing else."""

from __future__ import annotations

import inspect

import pytest

from modelyard.client.base import BaseClient
from modelyard.client.contract import ClientOperations
from modelyard.client.http import HttpClient
from modelyard.client.local import LocalClient

TRANSPORTS = [LocalClient, HttpClient]


def _public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n))}


def contract_problems(cls: type) -> list[str]:
    """What keeps ``cls`` from being a transport of the contract."""
    problems = []
    operations = ClientOperations.__abstractmethods__
    if not operations:
        problems.append("the contract declares no operation")
    for name in sorted(getattr(cls, "__abstractmethods__", ())):
        problems.append(f"{name}: not implemented")
    for name in sorted(operations):
        impl = getattr(cls, name, None)
        if impl is None:
            continue
        want = inspect.signature(getattr(ClientOperations, name))
        got = inspect.signature(impl)
        if got != want:
            problems.append(f"{name}{got} differs from the contract's {name}{want}")
    for name in sorted(_public(cls) - _public(BaseClient)):
        problems.append(f"{name}: not in the contract")
    for name in sorted(_public(BaseClient) - operations):
        if getattr(cls, name) is not getattr(BaseClient, name):
            problems.append(f"{name}: shared behaviour redefined by the transport")
    return problems


@pytest.mark.parametrize("transport", TRANSPORTS, ids=lambda c: c.__name__)
def test_transport_implements_the_whole_contract(transport: type) -> None:
    assert issubclass(transport, BaseClient)
    assert contract_problems(transport) == []


def test_the_contract_covers_every_operation_of_the_sdk() -> None:
    operations = ClientOperations.__abstractmethods__
    assert len(operations) >= 60
    for name in ("create_model", "get_version", "register_run_model", "log_batch",
                 "iter_blob", "lineage", "gc", "list_events"):
        assert name in operations
    shared = _public(BaseClient) - operations
    assert {"register", "download", "resolve", "log_artifacts", "log_dataset",
            "compare_runs", "upload_files"} <= shared


def test_a_transport_that_strays_from_the_contract_is_caught() -> None:
    class Extra(LocalClient):
        def only_here(self) -> None: ...

    class Different(HttpClient):
        def get_run(self, run_id: str, full: bool = False):
            return super().get_run(run_id)

    class Partial(BaseClient):
        pass

    assert contract_problems(Extra) == ["only_here: not in the contract"]
    [problem] = contract_problems(Different)
    assert problem.startswith("get_run(")
    assert "create_model: not implemented" in contract_problems(Partial)
