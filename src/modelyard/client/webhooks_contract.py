"""The webhook operations of the client contract, over REST and in process."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from modelyard.domain.entities import Principal
from modelyard.domain.webhook_records import DeliveryRecord, WebhookRecord

if TYPE_CHECKING:
    from modelyard.services import Services


class WebhookOperations(ABC):
    @abstractmethod
    def create_webhook(self, url: str, events: list[str], project: str | None = None,
                       secret: str | None = None, description: str = "",
                       name: str = "") -> WebhookRecord: ...

    @abstractmethod
    def list_webhooks(self) -> list[WebhookRecord]: ...

    @abstractmethod
    def delete_webhook(self, webhook_id: str) -> None: ...

    @abstractmethod
    def test_webhook(self, webhook_id: str, event: str | None = None) -> DeliveryRecord: ...

    @abstractmethod
    def webhook_deliveries(self, webhook_id: str,
                           max_results: int = 50) -> list[DeliveryRecord]: ...


class HttpWebhookMixin(WebhookOperations):
    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError  # the transport's

    def _get(self, path: str, **params: Any) -> Any:
        raise NotImplementedError  # the transport's

    def create_webhook(self, url: str, events: list[str], project: str | None = None,
                       secret: str | None = None, description: str = "",
                       name: str = "") -> WebhookRecord:
        body = {"name": name, "url": url, "events": events, "project": project, "secret": secret,
                "description": description}
        return WebhookRecord.from_dict(self._request("POST", "/webhooks", json=body)["webhook"])

    def list_webhooks(self) -> list[WebhookRecord]:
        return [WebhookRecord.from_dict(w) for w in self._get("/webhooks")["webhooks"]]

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"/webhooks/{quote(str(webhook_id), safe='')}")

    def test_webhook(self, webhook_id: str, event: str | None = None) -> DeliveryRecord:
        found = self._request("POST", f"/webhooks/{quote(str(webhook_id), safe='')}/test",
                              json={"event": event})
        return DeliveryRecord.from_dict(found["delivery"])

    def webhook_deliveries(self, webhook_id: str,
                           max_results: int = 50) -> list[DeliveryRecord]:
        found = self._get(f"/webhooks/{quote(str(webhook_id), safe='')}/deliveries",
                          max_results=max_results)
        return [DeliveryRecord.from_dict(d) for d in found["deliveries"]]


class LocalWebhookMixin(WebhookOperations):
    services: Services
    who: Principal

    def create_webhook(self, url: str, events: list[str], project: str | None = None,
                       secret: str | None = None, description: str = "",
                       name: str = "") -> WebhookRecord:
        return self.services.webhooks.create(self.who, url=url, events=events, project=project,
                                             secret=secret, description=description,
                                             name=name)

    def list_webhooks(self) -> list[WebhookRecord]:
        return self.services.webhooks.list_webhooks(self.who)

    def delete_webhook(self, webhook_id: str) -> None:
        self.services.webhooks.delete(self.who, webhook_id)

    def test_webhook(self, webhook_id: str, event: str | None = None) -> DeliveryRecord:
        return self.services.webhooks.test(self.who, webhook_id, event)

    def webhook_deliveries(self, webhook_id: str,
                           max_results: int = 50) -> list[DeliveryRecord]:
        return self.services.webhooks.deliveries(self.who, webhook_id, max_results)
