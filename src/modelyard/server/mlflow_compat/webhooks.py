"""MLflow 3's webhook API (``MlflowClient.create_webhook``, ``list_webhooks``,
``get_webhook``, ``update_webhook``, ``delete_webhook``, ``test_webhook``) onto the
webhook service.  Events travel as ``{"entity": "MODEL_VERSION", "action": "CREATED"}``
and are kept as ``model_version.created``; a webhook made this way has no project (it
sees every project's events, so only an admin may manage it), and a webhook listed
here shows only the events MLflow has names for."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from modelyard.domain.entities import Principal
from modelyard.domain.webhook_records import WebhookRecord
from modelyard.errors import InvalidParameter
from modelyard.server.mlflow_compat.common import Args, MlflowRoute, Svc, Who, get_str
from modelyard.services import Services

router = APIRouter(route_class=MlflowRoute)
P = "/api/2.0/mlflow/webhooks"
ENTITIES = {"registered_model", "model_version", "model_version_tag", "model_version_alias",
            "prompt", "prompt_version", "prompt_tag", "prompt_version_tag", "prompt_alias"}
ACTIONS = {"created", "updated", "deleted", "set"}


def _events(args: dict[str, Any]) -> list[str] | None:
    raw = args.get("events")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise InvalidParameter("events must be a list")
    out = []
    for e in raw:
        if not isinstance(e, dict):
            raise InvalidParameter("each event is {entity, action}")
        out.append(f"{str(e.get('entity', '')).lower()}.{str(e.get('action', '')).lower()}")
    return out


def _status(args: dict[str, Any]) -> str | None:
    value = get_str(args, "status")
    return value.lower() if value else None


def _webhook(w: WebhookRecord) -> dict[str, Any]:
    events = []
    for name in w.events:
        entity, _, action = name.partition(".")
        if entity in ENTITIES and action in ACTIONS:
            events.append({"entity": entity.upper(), "action": action.upper()})
    return {"webhook_id": str(w.id), "name": w.name, "url": w.url, "events": events,
            "description": w.description, "status": w.status.upper(),
            "creation_timestamp": w.created_at, "last_updated_timestamp": w.updated_at}


@router.post(P)
def create_webhook(args: dict[str, Any] = Args, s: Services = Svc,
                   who: Principal = Who) -> dict[str, Any]:
    w = s.webhooks.create(who, url=get_str(args, "url") or "", events=_events(args) or [],
                          project=None, secret=get_str(args, "secret"),
                          description=get_str(args, "description") or "",
                          name=get_str(args, "name") or "")
    status = _status(args)
    if status and status != w.status:
        w = s.webhooks.update(who, w.id, status=status)
    return {"webhook": _webhook(w)}


@router.get(P)
def list_webhooks(args: dict[str, Any] = Args, s: Services = Svc,
                  who: Principal = Who) -> dict[str, Any]:
    return {"webhooks": [_webhook(w) for w in s.webhooks.list_webhooks(who)],
            "next_page_token": ""}


@router.get(P + "/{webhook_id}")
def get_webhook(webhook_id: str, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    return {"webhook": _webhook(s.webhooks.get(who, webhook_id))}


@router.patch(P + "/{webhook_id}")
def update_webhook(webhook_id: str, args: dict[str, Any] = Args, s: Services = Svc,
                   who: Principal = Who) -> dict[str, Any]:
    w = s.webhooks.update(who, webhook_id, name=get_str(args, "name"),
                          url=get_str(args, "url"), events=_events(args),
                          description=get_str(args, "description"),
                          secret=get_str(args, "secret"), status=_status(args))
    return {"webhook": _webhook(w)}


@router.delete(P + "/{webhook_id}")
def delete_webhook(webhook_id: str, s: Services = Svc, who: Principal = Who) -> dict[str, Any]:
    s.webhooks.delete(who, webhook_id)
    return {}


@router.post(P + "/{webhook_id}/test")
def test_webhook(webhook_id: str, args: dict[str, Any] = Args, s: Services = Svc,
                 who: Principal = Who) -> dict[str, Any]:
    event = args.get("event")
    name = (f"{str(event.get('entity', '')).lower()}.{str(event.get('action', '')).lower()}"
            if isinstance(event, dict) else None)
    d = s.webhooks.test(who, webhook_id, name)
    last = d.log[-1] if d.log else None
    ok = d.status == "succeeded"
    return {"result": {"success": ok,
                       "response_status": last.status_code if last else None,
                       "response_body": last.excerpt if last else None,
                       "error_message": None if ok else (last.error if last else None)
                       or (f"HTTP {last.status_code}" if last else "not sent")}}
