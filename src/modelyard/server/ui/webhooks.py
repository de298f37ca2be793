"""The webhooks pages: the webhooks the user may manage, each with its delivery log
(every attempt: when, status code or error, how long, the start of the answer), and a
button that sends a test delivery.  The webhook service decides what is visible (a
project's maintainers and admins; 404 for anyone else)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from modelyard.server.ui import csrf
from modelyard.server.ui.common import principal, see_other, services
from modelyard.server.ui.render import page

router = APIRouter()


@router.get("/webhooks", response_class=HTMLResponse, include_in_schema=False)
def webhooks_page(request: Request) -> HTMLResponse:
    s, who = services(request), principal(request)
    return page(request, "webhooks.html", title="Webhooks",
                webhooks=s.webhooks.list_webhooks(who))


@router.get("/webhooks/{webhook_id}", response_class=HTMLResponse, include_in_schema=False)
def webhook_page(request: Request, webhook_id: str) -> HTMLResponse:
    s, who = services(request), principal(request)
    hook = s.webhooks.get(who, webhook_id)
    return page(request, "webhook.html", title=f"Webhook {hook.name or hook.id}", hook=hook,
                deliveries=s.webhooks.deliveries(who, webhook_id, 100))


@router.post("/webhooks/{webhook_id}/test", include_in_schema=False)
async def test_webhook(request: Request, webhook_id: str) -> RedirectResponse:
    await csrf.form(request)
    s, who = services(request), principal(request)
    s.webhooks.test(who, webhook_id)
    return see_other(f"/webhooks/{webhook_id}")
