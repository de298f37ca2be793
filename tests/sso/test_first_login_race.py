"""Concurrent first logins of one external identity make one user, on every database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from modelyard.domain.entities import Principal
from modelyard.services import Services


def test_concurrent_first_logins_make_one_user(services: Services) -> None:
    access = services.access
    access.external_auth = True

    def login(_: int) -> str:
        return access.external_login("https://idp.example", "sub-1", "erin", ["ml"],
                                     via="oidc").name

    with ThreadPoolExecutor(6) as pool:
        names = set(pool.map(login, range(12)))
    assert names == {"erin"}
    users = access.list_users(Principal(name="x", is_admin=True))
    assert [(u.name, u.groups) for u in users] == [("erin", ["ml"])]
