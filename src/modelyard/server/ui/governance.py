"""Signing a browser in and out, and governance on the pages: a version's transition
requests (approvals so far, still needed, why blocked) with the decisions the viewer
may take, the "request transition" form, the alias history, and a project's policy.

The login form posts here (form-encoded, with the form token); the credential check,
its rate limit and the session are the domain's (:meth:`SessionOps.login`), the same
that ``POST /auth/login`` uses.  Every action is refused by the domain for a role that
may not take it; the pages only leave out what would be refused.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from modelyard.domain.entities import ModelVersion, RegisteredModel
from modelyard.domain.validation import is_ascii_int
from modelyard.errors import ApprovalRequired, InvalidParameter, Unauthenticated
from modelyard.server.sso import safe_next, set_session
from modelyard.server.sso.credentials import COOKIE as SESSION_COOKIE
from modelyard.server.ui import csrf
from modelyard.server.ui.common import attempt, principal, see_other, services
from modelyard.server.ui.render import page, seg

router = APIRouter()


def sso_configured(request: Request) -> bool:
    """The single sign-on button shows only when the server has an OIDC issuer."""
    return getattr(request.app.state, "oidc", None) is not None


def login_form(request: Request, next: str, error: str | None = None,
               status: int = 200) -> HTMLResponse:
    return page(request, "login.html", status=status, title="Sign in", next=safe_next(next),
                sso=sso_configured(request), error=error)


@router.post("/login", include_in_schema=False)
async def login(request: Request) -> Response:
    fields = await csrf.form(request)
    s = services(request)
    nxt = fields.get("next", "/")
    address = request.client.host if request.client else ""
    try:
        who, secret = s.access.login(user=fields.get("username") or None,
                                     password=fields.get("password"),
                                     token=fields.get("token") or None, address=address)
    except (Unauthenticated, InvalidParameter) as exc:
        return login_form(request, nxt, exc.message, 401)
    response = RedirectResponse(safe_next(nxt), status_code=303)
    set_session(response, request, secret, s.settings.session_hours * 3600)
    # The form token now follows the session (see ``csrf``): the old one is stale.
    response.delete_cookie(csrf.COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    await csrf.form(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        services(request).access.end_session(secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(csrf.COOKIE, path="/")
    return response


def _targets(policy: dict[str, Any], current: str) -> list[str]:
    """The stages the policy lets a version in ``current`` move to (all others when it
    allows any transition)."""
    stages = [str(x) for x in policy.get("stages") or []]
    # a stage the policy does not know (set under an earlier one) counts as the initial
    current = next((x for x in stages if x.lower() == current.lower()),
                   str(policy.get("initial") or current))
    rules = policy.get("transitions")
    if not isinstance(rules, list):
        return [x for x in stages if x.lower() != current.lower()]
    out: list[str] = []
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        sources = rule.get("from")
        sources = sources if isinstance(sources, list) else [sources]
        to = str(rule.get("to", ""))
        if any(str(f).lower() == current.lower() for f in sources) and to not in out:
            out.append(to)
    return out


def policy_of(request: Request, project: str) -> dict[str, Any] | None:
    found = attempt(services(request).registry.get_policy, principal(request), project)
    if found is None:
        return None
    data: dict[str, Any] = dict(found.data)
    data["custom"] = bool(found.source)
    data["updated_at"], data["updated_by"] = found.updated_at, found.updated_by
    return data


def version_context(request: Request, model: RegisteredModel, v: ModelVersion,
                    may_manage: bool) -> dict[str, Any]:
    """What ``version_governance.html`` shows for one version."""
    s, who = services(request), principal(request)
    found = attempt(s.registry.list_requests, who, model=model.name, max_results=1000)
    mine = [r for r in (found.items if found else []) if r.version == v.version]
    allowed = {r.id: attempt(s.registry.may_decide, who, r.id, default={}) for r in mine}
    history = {}
    for alias in sorted(model.aliases):
        moves = attempt(s.registry.alias_history, who, model.name, alias, max_results=50)
        history[alias] = moves.items if moves else []
    policy = policy_of(request, model.project) or {}
    current = v.stage or "None"
    return {"requests": [r for r in mine if r.status == "open"],
            "closed_requests": [r for r in mine if r.status != "open"][:20],
            "allowed": allowed, "alias_history": history,
            "targets": _targets(policy, current) if may_manage else [],
            "back": f"/models/{seg(model.name)}/versions/{v.version}"}


def _back(fields: dict[str, str], default: str) -> str:
    back = fields.get("back", "")
    return back if back.startswith("/models/") and safe_next(back) == back else default


@router.post("/models/{name}/versions/{version}/stage", include_in_schema=False)
async def request_transition(request: Request, name: str, version: str) -> RedirectResponse:
    """Move the version to a stage, or open the transition request the policy asks for."""
    fields = await csrf.form(request)
    s, who = services(request), principal(request)
    stage = fields.get("stage", "").strip()
    if not stage:
        raise InvalidParameter("choose a stage")
    try:
        s.registry.transition_stage(who, name, version, stage,
                                    comment=fields.get("comment", ""))
    except ApprovalRequired:
        pass  # the request is open now; the page shows it
    return see_other(f"/models/{seg(name)}/versions/{seg(version)}#governance")


def _request_id(text: str) -> int:
    if not is_ascii_int(text) or len(text) > 18:
        raise InvalidParameter("a request id is a number")
    return int(text)


@router.post("/requests/{request_id}/{decision}", include_in_schema=False)
async def decide(request: Request, request_id: str, decision: str) -> RedirectResponse:
    """Approve, reject or cancel a transition request; the domain decides who may."""
    fields = await csrf.form(request)
    s, who = services(request), principal(request)
    rid = _request_id(request_id)
    comment = fields.get("comment", "")
    if decision == "approve":
        req = s.registry.approve_request(who, rid, comment)
    elif decision == "reject":
        req = s.registry.reject_request(who, rid, comment)
    elif decision == "cancel":
        req = s.registry.cancel_request(who, rid)
    else:
        raise InvalidParameter("the decision is approve, reject or cancel")
    return see_other(_back(fields, f"/models/{seg(req.model)}/versions/{req.version}")
                     + "#governance")
