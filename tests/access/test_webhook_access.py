"""Who may manage webhooks: a project's maintainers its webhooks, admins every one;
others see none of them (404, absent from lists); the secret is never returned."""

from __future__ import annotations

from modelyard.client.http import HttpClient
from modelyard.errors import NotFound, PermissionDenied
from tests.access.test_roles import people  # noqa: F401 - the fixture


def test_maintainers_manage_their_projects_webhooks(services, server_url: str,
                                                    people: dict[str, str]) -> None:  # noqa: F811
    url = "http://93.184.215.14/hook"  # a public address literal: no DNS needed
    with HttpClient(server_url, token=people["maintainer"]) as m:
        hook = m.create_webhook(url, ["model_version.created"], project="risk", secret="x")
        assert hook.has_secret and "secret" not in hook.to_dict()
        assert [w.id for w in m.list_webhooks()] == [hook.id]
        try:
            m.create_webhook(url, ["model.created"])  # every project: admins only
        except PermissionDenied:
            pass
        else:
            raise AssertionError("a maintainer created a webhook of every project")
    for who in ("editor", "viewer", "outsider"):
        with HttpClient(server_url, token=people[who]) as other:
            assert other.list_webhooks() == []
            try:
                other.webhook_deliveries(str(hook.id))
            except NotFound:
                pass
            else:
                raise AssertionError(f"{who} read a webhook's deliveries")
            try:
                other.create_webhook(url, ["model.created"], project="risk")
            except (PermissionDenied, NotFound):
                pass
            else:
                raise AssertionError(f"{who} created a webhook")
    with HttpClient(server_url, token=people["root"]) as root:
        assert [w.id for w in root.list_webhooks()] == [hook.id]
        root.delete_webhook(str(hook.id))
        assert root.list_webhooks() == []
