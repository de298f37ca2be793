"""The web UI in a real browser: find a version by search, its lineage picture, a run's
chart, compare runs, move an alias as a maintainer, a viewer refused, the mlflow
client's printed link, and no request leaving the server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.ui.conftest import Site


def _only_own(site: Site) -> None:
    foreign = [u for u in site.requests if not (u.startswith(site.url + "/") or u == site.url
                                                or u.startswith("data:"))]
    assert site.requests and foreign == [], foreign


def test_search_version_lineage_run_chart_compare(site: Site) -> None:
    ctx = site.context("root")
    page = ctx.new_page()
    page.goto("/models")
    page.fill("input[name=q]", "name LIKE 'fraud%' AND tags.team = 'risk'")
    page.click("form.filters button[type=submit]")
    page.click("#models a:text('fraud-detector')")
    assert page.url.endswith("/models/fraud-detector")
    assert page.locator(".desc strong").inner_text() == "transactions"
    assert page.locator(".desc img").count() == 0  # the raw HTML in the text is not rendered
    page.click("#versions a:text('v3')")
    assert page.url.endswith("/models/fraud-detector/versions/3")
    nodes = page.locator("svg.lineage a.node-link")
    assert nodes.count() >= 3  # run -> v3 -> v4
    assert page.locator("svg.lineage rect.root").count() == 1
    assert page.locator("#files a").count() == 2
    # the run node of the picture is a link to the run's page
    page.click("svg.lineage a.node-link[data-node^='run:']")
    assert "/runs/" in page.url
    lines = page.locator("#metric-chart svg.chart polyline")
    assert lines.count() >= 2
    assert all(int(lines.nth(i).get_attribute("data-n") or 0) <= 5000
               for i in range(lines.count()))
    # zoom: a drag across the plot narrows the plot's viewBox; a double click resets it
    box = page.locator("#metric-chart svg.chart").bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.up()
    assert page.locator("svg.plot").get_attribute("viewBox") != "0 0 1000 1000"
    page.dblclick("#metric-chart svg.chart")
    assert page.locator("svg.plot").get_attribute("viewBox") == "0 0 1000 1000"
    page.click("#scale-toggle")
    assert "scale=log" in page.url
    # compare two runs from the experiment's page
    page.goto(f"/experiments/{site.data.experiment_id}")
    page.fill("input[data-filter-table=runs]", "train-2")  # live filtering (script)
    assert page.locator("#runs tbody tr:visible").count() == 1
    page.fill("input[data-filter-table=runs]", "")
    boxes = page.locator("#runs input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("#compare-button")
    assert "/compare?" in page.url
    changed = page.locator("#compare-params tr.changed th")
    assert sorted(changed.all_inner_texts()) == ["learning_rate", "max_depth"]
    assert page.locator("svg.chart polyline").count() >= 2
    assert page.locator("#scatter circle.dot").count() == 2
    _only_own(site)
    ctx.close()


def test_maintainer_moves_an_alias_and_a_viewer_cannot(site: Site) -> None:
    from modelyard.client.http import HttpClient

    ctx = site.context("maintainer")
    page = ctx.new_page()
    page.goto("/models/fraud-detector/versions/1")
    page.fill("#alias-form input[name=alias]", "champion")
    page.click("#alias-form button")
    assert page.url.endswith("/models/fraud-detector/versions/1"), page.inner_text("main")
    assert "@champion" in page.inner_text("#labels")
    with HttpClient(site.url, token=site.tokens["root"]) as root:
        assert root.get_model("fraud-detector").aliases["champion"] == 1
    ctx.close()

    viewer = site.context("viewer")
    page = viewer.new_page()
    resp = page.goto("/models/fraud-detector/versions/2")
    assert resp is not None and resp.status == 200
    assert page.locator("#alias-form").count() == 0
    assert page.locator("main form[method=post]").count() == 0
    token = next(c["value"] for c in viewer.cookies() if c["name"] == "modelyard_csrf")
    posted = viewer.request.post("/models/fraud-detector/aliases", form={
        "csrf_token": token, "alias": "champion", "version": "2"})
    assert posted.status == 403
    # and without the form token nobody may post, whatever their role
    ctx = site.context("maintainer")
    ctx.new_page().goto("/models")
    forged = ctx.request.post("/models/fraud-detector/aliases", form={
        "alias": "champion", "version": "2"})
    assert forged.status == 403
    with HttpClient(site.url, token=site.tokens["root"]) as root:
        assert root.get_model("fraud-detector").aliases["champion"] == 1
    _only_own(site)


def test_mlflow_printed_run_link_opens_the_run_page(site: Site, tmp_path: Path) -> None:
    script = (
        "import mlflow\n"
        f"mlflow.set_tracking_uri({site.url!r})\n"
        "mlflow.set_experiment('printed-links')\n"
        "with mlflow.start_run(run_name='linked'):\n"
        "    mlflow.log_metric('loss', 0.5, step=1)\n"
        "    mlflow.log_metric('loss', 0.25, step=2)\n")
    env = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
           "MLFLOW_TRACKING_TOKEN": site.tokens["root"], "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    run_link = re.search(r"View run linked at: (\S+)", out)
    exp_link = re.search(r"View experiment at: (\S+)", out)
    assert run_link and exp_link, out[-2000:]
    ctx = site.context("root")
    page = ctx.new_page()
    page.goto(run_link.group(1))
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]+$"))
    assert page.locator("h1").inner_text() == "linked"
    assert page.locator("#metric-chart svg.chart polyline").count() == 1
    page.goto(exp_link.group(1))
    page.wait_for_url(re.compile(r".*/experiments/\d+$"))
    assert page.locator("h1").inner_text().startswith("printed-links")
    page.goto("/#/models/fraud-detector/versions/2")
    page.wait_for_url(re.compile(r".*/models/fraud-detector/versions/2$"))
    _only_own(site)
    ctx.close()


def test_pages_are_locked_down(site: Site) -> None:
    ctx = site.context("root", java_script_enabled=False)
    page = ctx.new_page()
    # without script the root page is the models list
    resp = page.goto("/")
    assert resp is not None
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert page.locator("#models a:text('fraud-detector')").count() == 1
    for query, found in (("stage=Production", 1), ("alias=champion", 1), ("alias=nope", 0),
                         ("tag=team%3Drisk", 1), ("tag=team%3Dother", 0),
                         ("project=default", 1)):
        page.goto(f"/models?{query}")
        assert page.locator("#models a:text('fraud-detector')").count() == found, query
    page.goto("/models?q=name+%3D")
    assert page.locator("p.error[role=alert]").count() == 1  # a bad filter says why
    run = site.data.run_ids[0]
    page.goto(f"/runs/{run}?preview=reports/confusion.csv")
    assert page.locator("#preview table.csv tr").count() == 4
    page.goto(f"/runs/{run}")
    assert "<script>" not in page.locator(".notes").inner_html()
    img = ctx.request.get(f"/runs/{run}/preview/reports/roc.png")
    assert img.status == 200 and img.headers["content-type"] == "image/png"
    assert img.headers["content-security-policy"] == "sandbox"
    vpage = ctx.new_page()
    vpage.goto(f"/models/{site.data.model}/versions/{site.data.versions[-1]}")
    sig = vpage.locator("table.signature")
    assert sig.count() == 2
    assert sig.nth(0).locator("tbody tr").all_inner_texts()[0].split() == ["amount", "double"]
    assert page.locator("#artifacts a:text('preview')").count() == 3  # not the .html
    text = ctx.request.get(f"/runs/{run}/preview/reports/report.txt")
    assert text.status == 200 and text.headers["content-type"].startswith("text/plain")
    assert text.headers["content-security-policy"] == "sandbox"
    html = ctx.request.get(f"/runs/{run}/preview/reports/page.html")
    assert html.status == 400
    one = page.goto(f"/compare?run={run}")
    assert one is not None and one.status == 400
    assert "2 to 10 runs" in page.inner_text("main")
    page.goto(f"/datasets/{site.data.dataset}")
    assert page.locator("#schema tbody tr").count() == 2
    assert page.locator("#used-by a").count() == 1
    for path in ("/audit", "/admin/users", "/admin/tokens", "/admin/roles",
                 f"/models/{site.data.model}/diff", "/experiments", "/datasets", "/login"):
        r = page.goto(path)
        assert r is not None and r.status == 200, path
    assert page.locator("#login-password").get_attribute("action") == "/login"
    ctx.close()
    # an admin page for someone who is not an admin
    viewer = site.context("viewer")
    r = viewer.new_page().goto("/admin/users")
    assert r is not None and r.status == 403
    viewer.close()
    # and a browser without credentials is sent to sign in
    anon = site.browser.new_context(base_url=site.url)
    page = anon.new_page()
    page.goto("/models/fraud-detector")
    assert "/login?next=" in page.url
    anon.close()


def test_phone_screen_and_keyboard(site: Site) -> None:
    ctx = site.context("root", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = ctx.new_page()
    d = site.data
    for path in ("/models", f"/models/{d.model}", f"/models/{d.model}/versions/{d.versions[-2]}",
                 f"/runs/{d.run_ids[0]}", f"/experiments/{d.experiment_id}", "/audit",
                 "/compare?" + "&".join(f"run={r}" for r in d.run_ids)):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, (path, width)  # wide tables and pictures scroll in their box
    ctx.close()
    ctx = site.context("root")
    page = ctx.new_page()
    page.goto("/models")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the chart takes the keyboard: + zooms in, Escape resets
    page.goto(f"/runs/{d.run_ids[0]}")
    page.focus("#metric-chart svg.chart")
    page.keyboard.press("+")
    assert page.locator("svg.plot").get_attribute("viewBox") != "0 0 1000 1000"
    page.keyboard.press("Escape")
    assert page.locator("svg.plot").get_attribute("viewBox") == "0 0 1000 1000"
    _only_own(site)
    ctx.close()


def test_image_preview_and_an_admin_revokes_a_token(site: Site) -> None:
    ctx = site.context("root")
    page = ctx.new_page()
    page.goto(f"/runs/{site.data.run_ids[0]}?preview=reports/roc.png")
    img = page.locator("#preview img.preview")
    img.wait_for()
    assert page.evaluate("document.querySelector('#preview img').naturalWidth") == 8
    viewer = site.context("viewer")
    first = viewer.new_page().goto("/models")
    assert first is not None and first.status == 200
    page.goto("/admin/tokens")
    page.on("dialog", lambda d: d.accept())  # the page asks before revoking
    row = page.locator("#tokens tr", has_text="viewer")
    row.locator("button:text('Revoke')").click()
    page.wait_for_url("**/admin/tokens")
    assert "revoked" in page.locator("#tokens tr", has_text="viewer").inner_text()
    refused = viewer.request.get("/api/v1/models")
    assert refused.status == 401
    _only_own(site)
