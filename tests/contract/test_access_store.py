"""Users, tokens and grants on every metadata database (the SQL of ``tx.access``)."""

from __future__ import annotations

import pytest

from modelyard.domain.entities import ANONYMOUS
from modelyard.errors import AlreadyExists, Unauthenticated


def test_users_tokens_grants_on_every_backend(services) -> None:  # type: ignore[no-untyped-def]
    a = services.access
    first = a.create_user(ANONYMOUS, "Root", is_admin=True, groups=["ops", "Ops"])
    assert first.token and first.groups == ["Ops", "ops"]  # names are case-sensitive
    root = a.authenticate_token(first.token)
    assert root.is_admin and root.groups == ("Ops", "ops")
    a.create_user(root, "root", password="lower-case-root")  # another user
    with pytest.raises(AlreadyExists):
        a.create_user(root, "Root", password="again-and-again")
    assert a.authenticate_password("root", "lower-case-root").name == "root"
    t = a.create_token(root, "ci", user="root", expires="1d", scope="read")
    assert a.authenticate_token(t.secret).scope == "read"
    a.revoke_token(root, t.id)
    with pytest.raises(Unauthenticated):
        a.authenticate_token(t.secret)
    services.registry.create_model(root, "m")
    a.grant_role(root, "root", "viewer", model="m")
    a.grant_role(root, "root", "editor", model="m")  # replaces the binding
    a.grant_role(root, "ops", "maintainer", project="default", group=True)
    grants = {(g.subject, g.subject_kind, g.role, g.project, g.model)
              for g in a.list_grants(root)}
    assert grants == {("root", "user", "editor", None, "m"),
                      ("ops", "group", "maintainer", "default", None)}
    a.revoke_role(root, "root", model="m")
    a.update_user(root, "root", disabled=True)
    with pytest.raises(Unauthenticated):
        a.authenticate_password("root", "lower-case-root")
    a.delete_user(root, "root")
    assert [u.name for u in a.list_users(root)] == ["Root"]
