"""Property-based requests from our own OpenAPI schema (schemathesis): no operation of
the native API answers a 5xx to anything the schema allows, or to what it does not.

Bounded in time and seeded (``derandomize``), so a run is the same every time; the
examples per operation are few, for the whole run to stay near half a minute."""

from __future__ import annotations

import time

import pytest

schemathesis = pytest.importorskip("schemathesis")
requests = pytest.importorskip("requests")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

EXAMPLES = 25
BUDGET_SECONDS = 120  # a safety stop on a loaded machine; a run takes ~25 s


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'meta.db'}"


def test_no_operation_answers_5xx(http, server_url, model_dir):
    from modelyard.client.http import HttpClient

    with HttpClient(server_url) as c:  # something to find, so lookups get past a 404
        c.register("m", model_dir)
    schema = schemathesis.openapi.from_url(server_url + "/api/v1/openapi.json")
    session = requests.Session()
    session.headers["X-Modelyard-Client"] = "fuzz"  # past the cross-site guard
    failures: list[str] = []
    deadline = time.monotonic() + BUDGET_SECONDS
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            if time.monotonic() > deadline:
                return
            resp = case.call(base_url=server_url, session=session, timeout=30)
            if resp.status_code >= 500:
                failures.append(f"{case.method} {resp.request.url} -> {resp.status_code} "
                                f"{resp.text[:200]}")
            elif resp.status_code >= 400:
                body = resp.json()
                assert body["error_code"] and body["message"], resp.text

        check()
    assert operations > 50
    assert not failures, "\n".join(sorted(set(failures))[:30])
