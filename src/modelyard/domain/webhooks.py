"""Webhooks: subscriptions per project (or every project, for admins), deliveries from
the event outbox, signed like MLflow's.

Who may manage them: a webhook of a project, whoever may MANAGE the project
(maintainer or admin); a webhook of every project (no project), an admin.  A webhook
sees only events of its project, so a maintainer cannot learn of another project's
changes through one.

The secret is sealed at rest (``modelyard.sealing``: signing needs it back, so it
cannot be hashed); it is never logged and never returned after creation (records say
only ``has_secret``).  A delivery whose secret this server cannot open fails at once,
unsent, rather than going out unsigned.

Signature (MLflow 3's, so MLflow receivers verify it unchanged): headers
``X-MLflow-Delivery-Id`` (a UUID, the same on every retry), ``X-MLflow-Timestamp``
(Unix seconds of this attempt) and ``X-MLflow-Signature: v1,<base64 HMAC-SHA256 of
"{delivery_id}.{timestamp}.{body}" with the secret>``; a receiver rejects a timestamp
older than a few minutes (replay).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import Callable

from modelyard.domain import webhook_events
from modelyard.domain.entities import Event, Principal
from modelyard.domain.permissions import PermissionOps
from modelyard.domain.ports import Clock, MetadataStore
from modelyard.domain.roles import Permission, Role
from modelyard.domain.validation import check_text
from modelyard.domain.webhook_records import (
    Attempt,
    Claimed,
    DeliveryRecord,
    NewDelivery,
    Outcome,
    Sender,
    WebhookRecord,
    WebhookStore,
)
from modelyard.errors import InvalidParameter, NotFound, Unauthenticated

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_HEADER = "X-MLflow-Delivery-Id"
log = logging.getLogger(__name__)
MAX_URL = 2048
MAX_SECRET = 1024


UNREADABLE_SECRET = ("the signing secret was sealed with another server key "
                     "(MODELYARD_SECRET_KEY_FILE); not sent")


def sign(secret: str, delivery_id: str, timestamp: str, payload: str) -> str:
    content = f"{delivery_id}.{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(claimed: Claimed, now_s: int | None = None) -> dict[str, str]:
    ts = str(now_s if now_s is not None else int(time.time()))
    h = {"Content-Type": "application/json", "User-Agent": "modelyard-webhooks",
         DELIVERY_HEADER: claimed.delivery.delivery_uuid, TIMESTAMP_HEADER: ts}
    if claimed.secret:
        h[SIGNATURE_HEADER] = sign(claimed.secret, claimed.delivery.delivery_uuid, ts,
                                   claimed.body)
    return h


def build(webhook: WebhookRecord, event: Event) -> NewDelivery | None:
    if webhook.project is not None and event.project != webhook.project:
        return None
    name = webhook_events.matching(webhook.events, event.type)
    if name is None:
        return None
    did = str(uuid.uuid4())
    return NewDelivery(webhook.id, event.id, did, name,
                       webhook_events.body(name, event, did, webhook.project))


class WebhookService:
    def __init__(self, store: MetadataStore, webhooks: WebhookStore, access: PermissionOps,
                 sender: Sender, clock: Clock) -> None:
        self.store, self.webhooks, self.access = store, webhooks, access
        self.sender, self.clock = sender, clock
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after a webhook is created or changed here (the delivery
        worker of this process, which polls slowly while no webhook is active)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def _require(self, actor: Principal, project: str | None) -> None:
        if project is None:
            self.access.require(actor, Permission.ADMIN)
            return
        with self.store.read() as tx:
            pid = tx.registry.project_id(project)
        if pid is None:  # the same answer as for a project the actor may not see
            raise NotFound(f"project {project!r} does not exist")
        self.access.require(actor, Permission.MANAGE, project_id=pid,
                            hide=f"project {project!r} does not exist")

    def _get(self, actor: Principal, webhook_id: str | int) -> WebhookRecord:
        try:
            wid = int(webhook_id)
        except (TypeError, ValueError):
            raise NotFound(f"webhook {str(webhook_id)[:64]!r} does not exist") from None
        found = self.webhooks.get(wid)
        if found is None or not self._may_manage(actor, found.project):
            raise NotFound(f"webhook {wid} does not exist")
        return found

    def _may_manage(self, actor: Principal, project: str | None) -> bool:
        if self.access.sees_everything(actor):
            return True
        if project is None:
            return False
        with self.store.read() as tx:
            pid = tx.registry.project_id(project)
        return pid is not None and self.access.role_on(actor, pid) >= Role.MAINTAINER

    def _check(self, url: object, secret: object) -> tuple[str, str | None]:
        u = check_text(url, "url", MAX_URL).strip()
        self.sender.check_url(u)
        s = None if secret is None else check_text(secret, "secret", MAX_SECRET)
        return u, (s or None)

    def create(self, actor: Principal, *, url: str, events: object, project: str | None,
               secret: str | None = None, description: str = "",
               name: str = "") -> WebhookRecord:
        self._require(actor, project or None)
        u, s = self._check(url, secret)
        names = webhook_events.check_events(events)
        made = self.webhooks.create(name=check_text(name, "name", 256), url=u, events=names,
                                    project=project or None,
                                    description=check_text(description, "description", 4096),
                                    secret=s, created_by=actor.name, now=self.clock.now_ms())
        self._changed()
        return made

    def list_webhooks(self, actor: Principal) -> list[WebhookRecord]:
        if self.access.sees_everything(actor):
            return self.webhooks.find(None)
        if actor.id is None:
            raise Unauthenticated("authentication required")
        mine = {name for (kind, _), (role, name) in self.access.roles(actor).items()
                if kind == "project" and role >= Role.MAINTAINER}
        return self.webhooks.find(mine)

    def get(self, actor: Principal, webhook_id: str | int) -> WebhookRecord:
        return self._get(actor, webhook_id)

    def update(self, actor: Principal, webhook_id: str | int, *, name: str | None = None,
               url: str | None = None,
               events: object = None, description: str | None = None,
               secret: str | None = None, status: str | None = None) -> WebhookRecord:
        found = self._get(actor, webhook_id)
        self._require(actor, found.project)
        u = self._check(url, None)[0] if url is not None else None
        names = webhook_events.check_events(events) if events is not None else None
        if status is not None and status.lower() not in ("active", "disabled"):
            raise InvalidParameter("status must be active or disabled")
        s = check_text(secret, "secret", MAX_SECRET) if secret is not None else None
        d = check_text(description, "description", 4096) if description is not None else None
        n = check_text(name, "name", 256) if name is not None else None
        out = self.webhooks.update(found.id, name=n, url=u, events=names, description=d, secret=s,
                                   status=status.lower() if status else None,
                                   now=self.clock.now_ms())
        if out is None:
            raise NotFound(f"webhook {found.id} does not exist")
        self._changed()
        return out

    def delete(self, actor: Principal, webhook_id: str | int) -> None:
        found = self._get(actor, webhook_id)
        self._require(actor, found.project)
        self.webhooks.delete(found.id)

    def deliveries(self, actor: Principal, webhook_id: str | int,
                   limit: int = 50) -> list[DeliveryRecord]:
        found = self._get(actor, webhook_id)
        return self.webhooks.deliveries(found.id, max(1, min(int(limit), 500)))

    def test(self, actor: Principal, webhook_id: str | int,
             event: str | None = None) -> DeliveryRecord:
        """Send a test delivery now (one attempt, no retry) and answer its record."""
        found = self._get(actor, webhook_id)
        self._require(actor, found.project)
        name = webhook_events.check_events([event])[0] if event else found.events[0]
        did = str(uuid.uuid4())
        owner = f"test-{did}"[:64]
        delivery_id = self.webhooks.add(NewDelivery(
            found.id, None, did, name, webhook_events.body(name, None, did, found.project)),
            self.clock.now_ms(), owner, 60_000)
        for claimed in self.webhooks.claim(owner, self.clock.now_ms(), 60_000, 1,
                                           only=delivery_id):
            attempt(self.webhooks, self.sender, claimed, owner, self.clock.now_ms,
                    retry_until_ms=0, backoff_ms=0)
        return next(d for d in self.webhooks.deliveries(found.id, 50) if d.id == delivery_id)


def attempt(webhooks: WebhookStore, sender: Sender, claimed: Claimed, owner: str,
            now_ms: Callable[[], int], *, retry_until_ms: int, backoff_ms: int) -> bool:
    """One attempt at a claimed delivery, recorded at once (see :func:`send`)."""
    outcome = send(sender, claimed, now_ms, retry_until_ms=retry_until_ms,
                   backoff_ms=backoff_ms)
    webhooks.finish([outcome], owner)
    return outcome.status == "succeeded"


def send(sender: Sender, claimed: Claimed, now_ms: Callable[[], int], *,
         retry_until_ms: int, backoff_ms: int) -> Outcome:
    """One attempt at a claimed delivery, and what comes next: done (2xx), another
    attempt after an exponential backoff (while the delivery is younger than
    ``retry_until_ms``), or given up."""
    start = now_ms()
    error: str | None
    if claimed.unreadable_secret:  # another key, or none: retried (another server may
        # hold the right one), never sent unsigned
        log.warning("webhook delivery %s not sent: its signing secret cannot be opened "
                    "with this server's MODELYARD_SECRET_KEY_FILE", claimed.delivery.id)
        status_code, excerpt, error = None, "", UNREADABLE_SECRET
    else:
        response = sender.post(claimed.url, claimed.body.encode(), headers(claimed))
        status_code, excerpt, error = response.status_code, response.excerpt, response.error
    end = now_ms()
    ok = status_code is not None and 200 <= status_code < 300
    record = Attempt(time=start, status_code=status_code, excerpt=excerpt, error=error,
                     duration_ms=end - start)
    d = claimed.delivery
    wait = backoff_ms * (2 ** d.attempts)
    if ok:
        status, next_at = "succeeded", end
    elif end + wait - d.created_at <= retry_until_ms:
        status, next_at = "pending", end + wait
    else:
        status, next_at = "failed", end
    return Outcome(d.id, record, status, next_at)
