"""Webhooks under /api/v1/webhooks.  Every decision is the webhook service's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from modelyard.domain.entities import Principal
from modelyard.server.deps import principal, services
from modelyard.services import Services

router = APIRouter(tags=["webhooks"])


class WebhookCreate(BaseModel):
    name: str = ""
    url: str
    events: list[str]
    project: str | None = None
    secret: str | None = None
    description: str = ""


class WebhookPatch(BaseModel):
    name: str | None = None
    url: str | None = None
    events: list[str] | None = None
    secret: str | None = None
    description: str | None = None
    status: str | None = None


class WebhookTest(BaseModel):
    event: str | None = None


@router.post("/webhooks", status_code=201)
def create_webhook(body: WebhookCreate, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    found = s.webhooks.create(who, url=body.url, events=body.events, project=body.project,
                              secret=body.secret, description=body.description,
                              name=body.name)
    return {"webhook": found.to_dict()}


@router.get("/webhooks")
def list_webhooks(s: Services = Depends(services),
                  who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"webhooks": [w.to_dict() for w in s.webhooks.list_webhooks(who)]}


@router.get("/webhooks/{webhook_id}")
def get_webhook(webhook_id: str, s: Services = Depends(services),
                who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"webhook": s.webhooks.get(who, webhook_id).to_dict()}


@router.patch("/webhooks/{webhook_id}")
def update_webhook(webhook_id: str, body: WebhookPatch, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    found = s.webhooks.update(who, webhook_id, name=body.name, url=body.url, events=body.events,
                              description=body.description, secret=body.secret,
                              status=body.status)
    return {"webhook": found.to_dict()}


@router.delete("/webhooks/{webhook_id}")
def delete_webhook(webhook_id: str, s: Services = Depends(services),
                   who: Principal = Depends(principal)) -> dict[str, Any]:
    s.webhooks.delete(who, webhook_id)
    return {}


@router.post("/webhooks/{webhook_id}/test")
def test_webhook(webhook_id: str, body: WebhookTest, s: Services = Depends(services),
                 who: Principal = Depends(principal)) -> dict[str, Any]:
    return {"delivery": s.webhooks.test(who, webhook_id, body.event).to_dict()}


@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(webhook_id: str, max_results: int = Query(50, ge=1, le=500),
                    s: Services = Depends(services),
                    who: Principal = Depends(principal)) -> dict[str, Any]:
    found = s.webhooks.deliveries(who, webhook_id, max_results)
    return {"deliveries": [d.to_dict() for d in found]}
