"""The web UI with sign-in and governance, in a real browser: log in with a password
and out again; request a transition as one user and approve it as another (two browser
contexts) under a policy needing one maintainer's approval, not the requester's; a
viewer is offered no approve button and is refused when posting the form anyway."""

from __future__ import annotations

import re
from typing import Any

from tests.ui.conftest import Site

POLICY = """\
stages: [dev, staging, production, archived]
initial: dev
transitions:
  - {from: dev, to: staging}
  - from: staging
    to: production
    approvals: {count: 1, role: maintainer, allow_requester: false}
  - {from: [dev, staging, production], to: archived}
protected_aliases:
  live: {only_via_transition: staging->production}
"""


def _cookie(ctx: Any, name: str) -> str:
    cookies = ctx.cookies()
    return next((c["value"] for c in cookies if c["name"] == name), "")


def test_login_with_a_password_see_your_name_and_log_out(site: Site) -> None:
    ctx = site.browser.new_context(base_url=site.url)
    ctx.on("request", lambda r: site.requests.append(r.url))
    page = ctx.new_page()
    page.goto("/models/fraud-detector")
    assert "/login?next=" in page.url  # asked to sign in first
    assert page.locator("#sso").count() == 0  # no OIDC issuer configured: no SSO button
    before = _cookie(ctx, "modelyard_csrf")
    page.fill("#login-password input[name=username]", "maintainer")
    page.fill("#login-password input[name=password]", "not-the-password")
    page.click("#login-password button[type=submit]")
    assert page.locator("#login-error").count() == 1
    assert _cookie(ctx, "modelyard_session") == ""
    page.fill("#login-password input[name=username]", "maintainer")
    page.fill("#login-password input[name=password]", "maintainer-password")
    page.click("#login-password button[type=submit]")
    assert page.url.endswith("/models/fraud-detector"), page.url
    assert page.inner_text("#who-name") == "maintainer"
    session = _cookie(ctx, "modelyard_session")
    assert session.startswith("mys_")
    # the form token now follows the login session, not the browser's earlier cookie
    token = page.locator("#logout-form input[name=csrf_token]").get_attribute("value")
    assert token and token != before
    stale = ctx.request.post("/logout", form={"csrf_token": before})
    assert stale.status == 403
    page.click("#logout")
    assert page.url.endswith("/login"), page.url
    assert _cookie(ctx, "modelyard_session") == ""
    page.goto("/models/fraud-detector")
    assert "/login?next=" in page.url
    # the ended session no longer works, even if a browser kept the cookie
    ctx.add_cookies([{"name": "modelyard_session", "value": session, "url": site.url}])
    resp = ctx.request.get("/api/v1/whoami")
    assert resp.status == 401
    page.goto("/models")  # a page drops the dead cookie on its way to the login page
    assert "/login?next=" in page.url and _cookie(ctx, "modelyard_session") == ""
    # a token signs in too
    ctx.clear_cookies()
    page.goto("/login")
    page.fill("#login-token input[name=token]", site.tokens["viewer"])
    page.click("#login-token button[type=submit]")
    assert page.inner_text("#who-name") == "viewer"
    ctx.close()


def test_request_as_one_user_approve_as_another_viewer_refused(site: Site) -> None:
    from modelyard.client.http import HttpClient

    model = site.data.model
    version = site.data.versions[0]
    with HttpClient(site.url, token=site.tokens["root"]) as root:
        root.set_policy("default", POLICY)
        root.create_user("approver", password="approver-password")
        site.tokens["approver"] = root.create_token("t", user="approver").secret or ""
        root.grant_role("approver", "maintainer", project="default")
    url = f"/models/{model}/versions/{version}"

    # the model page shows the project's policy, read-only
    requester = site.context("maintainer")
    page = requester.new_page()
    page.goto(f"/models/{model}")
    rows = page.locator("#policy-transitions tbody tr")
    assert rows.count() == 3
    assert "1 from maintainer (not the requester)" in rows.nth(1).inner_text()
    assert page.locator("#policy form").count() == 0

    # dev -> staging needs nothing; staging -> production opens a request
    page.goto(url)
    page.select_option("#stage-form select[name=stage]", "staging")
    page.click("#stage-form button")
    assert page.locator("h1 .stage").inner_text() == "staging"
    options = page.locator("#stage-form select[name=stage] option").all_inner_texts()
    assert sorted(options) == ["archived", "production"]
    page.select_option("#stage-form select[name=stage]", "production")
    page.fill("#stage-form input[name=comment]", "ready for traffic")
    page.click("#stage-form button")
    row = page.locator("#requests tr[data-request]")
    assert row.count() == 1
    rid = row.get_attribute("data-request")
    assert "0 more" not in row.locator(".blocked").inner_text()
    assert re.search(r"waiting for 1 more approval\(s\) from maintainer other than maintainer",
                     row.locator(".blocked").inner_text())
    assert row.locator(".remaining").inner_text() == "1 of 1 from maintainer"
    assert row.locator("button.approve").count() == 0  # not the requester's to approve
    assert row.locator("button.cancel").count() == 1
    assert page.locator("h1 .stage").inner_text() == "staging"
    # posting the approve form anyway is refused by the domain
    token = _cookie(requester, "modelyard_csrf")
    own = requester.request.post(f"/requests/{rid}/approve", form={"csrf_token": token})
    assert own.status == 403

    # a viewer sees the request, who is still needed, and no button; posting is refused
    viewer = site.context("viewer")
    vpage = viewer.new_page()
    vpage.goto(url)
    vrow = vpage.locator(f"#requests tr[data-request='{rid}']")
    assert "waiting for 1 more" in vrow.inner_text()
    assert vpage.locator("#requests button").count() == 0
    assert vpage.locator("#stage-form").count() == 0
    vtoken = _cookie(viewer, "modelyard_csrf")
    refused = viewer.request.post(f"/requests/{rid}/approve", form={"csrf_token": vtoken})
    assert refused.status == 403
    assert viewer.request.post(f"/requests/{rid}/reject",
                               form={"csrf_token": vtoken}).status == 403
    viewer.close()

    # another maintainer approves in a second browser context: the transition happens
    approver = site.context("approver")
    apage = approver.new_page()
    apage.goto(url)
    arow = apage.locator(f"#requests tr[data-request='{rid}']")
    arow.locator("input[name=comment]").first.fill("looks good")
    arow.locator("button.approve").click()
    assert apage.url.split("#")[0].endswith(url)
    assert apage.locator("h1 .stage").inner_text() == "production"
    assert apage.locator("#requests tr[data-request]").count() == 0
    assert "@live" in apage.inner_text("#labels")
    history = apage.locator(".alias-history[data-alias=live] tbody tr")
    assert history.count() == 1
    assert f"transition (request #{rid})" in history.first.inner_text()
    assert "approver" in history.first.inner_text()
    approver.close()

    with HttpClient(site.url, token=site.tokens["root"]) as root:
        assert root.get_version(model, version).stage == "production"
        assert root.get_model(model).aliases["live"] == version
        done = root.get_request(int(rid or 0))
        assert done.status == "done" and done.approvers == ["approver"]

    # the audit page filters by user and type
    page.goto("/audit?user=approver&type=request.approved&since=1h")
    events = page.locator("#events tbody tr")
    assert events.count() == 1 and "request.approved" in events.first.inner_text()
    page.goto("/audit?user=viewer&since=1h")
    assert "No events." in page.inner_text("#events")
    requester.close()
