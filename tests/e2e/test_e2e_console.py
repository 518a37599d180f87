"""The admin console at /admin/, in Debian's Chromium, against the real
platform behind the gateway: what an operator sees matches what the API says."""

import re
import uuid
from typing import Any

import httpx
import pytest

from sendfx_dev.ports import wait_until

pytestmark = pytest.mark.e2e


def sign_in(page: Any, platform: Any) -> None:
    page.goto("/admin/")
    page.get_by_role("heading", name="Sign in").wait_for()
    page.get_by_label("Email").fill(platform.admin_email)
    page.get_by_label("Password").fill(platform.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Workspaces").wait_for()


def test_the_gateway_serves_the_console_with_a_fallback_for_its_routes(
    gw: httpx.Client,
) -> None:
    index = gw.get("/admin/")
    assert index.status_code == 200, index.text
    assert index.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in index.text
    # a route of the console's own, reloaded: the same page, not a 404
    deep = gw.get("/admin/workspaces/00000000-0000-0000-0000-000000000000")
    assert deep.status_code == 200 and deep.text == index.text
    script = re.search(r'src="(/admin/assets/[^"]+\.js)"', index.text)
    assert script, index.text
    asset = gw.get(script.group(1))
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith("application/javascript")
    assert "immutable" in asset.headers["cache-control"]
    assert gw.get("/admin/assets/nope.js").status_code == 404
    assert gw.get("/admin").status_code == 301


@pytest.mark.slow
def test_an_admin_signs_in_and_sees_a_workspaces_usage_totals(
    console_page: Any, platform: Any, gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    name = f"Console usage {uuid.uuid4().hex[:6]}"
    workspace_id = gw.post("/api/workspaces", json={"name": name}, headers=admin_headers).json()[
        "id"
    ]
    conversation = gw.post(
        f"/api/workspaces/{workspace_id}/conversations", json={}, headers=admin_headers
    ).json()
    gw.post(
        f"/api/conversations/{conversation['id']}/messages",
        json={"content": "hello from the console test"},
        headers=admin_headers,
    )
    reply = gw.post(f"/api/conversations/{conversation['id']}/ai-reply", headers=admin_headers)
    assert reply.status_code == 201, reply.text

    def usage() -> dict[str, Any]:
        answer = gw.get(f"/api/admin/workspaces/{workspace_id}/usage", headers=admin_headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    assert wait_until(lambda: usage()["totals"]["calls"] >= 1, timeout=60)
    totals = usage()["totals"]

    page = console_page
    sign_in(page, platform)
    page.get_by_label("Search workspaces").fill(name)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name).wait_for()
    page.get_by_role("heading", name="Totals").wait_for()
    shown = page.get_by_label("Usage totals")
    for label, value in (
        ("Calls", totals["calls"]),
        ("Prompt tokens", totals["prompt_tokens"]),
        ("Completion tokens", totals["completion_tokens"]),
        ("Total tokens", totals["total_tokens"]),
    ):
        term = shown.locator("dt", has_text=re.compile(f"^{label}$"))
        assert term.locator("xpath=following-sibling::dd[1]").inner_text() == f"{value:,}"
    assert f"${float(totals['cost_usd']):.4f}" in shown.inner_text()
    by_model = page.get_by_role("table", name="By model")
    assert reply.json()["usage"]["model"] in by_model.inner_text()
    assert page.get_by_role("img", name=re.compile("Chart of calls, tokens and cost")).is_visible()
    # the admin is a member (the owner) of the workspace they created
    assert "owner" in page.get_by_role("table", name="Members").inner_text()


@pytest.mark.slow
def test_an_invalid_draft_shows_the_backends_message_by_its_field(
    console_page: Any, platform: Any, gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    expected = gw.post(
        "/api/admin/flow-drafts",
        json={"name": "", "description": "", "nodes": [], "edges": []},
        headers=admin_headers,
    )
    assert expected.status_code == 422
    problem = expected.json()
    name_errors = [e["message"] for e in problem["errors"] if e["field"] == "name"]
    assert name_errors, problem

    page = console_page
    sign_in(page, platform)
    page.get_by_role("link", name="Automation templates").click()
    page.get_by_role("heading", name="New draft").wait_for()
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("alert").filter(has_text=problem["detail"]).wait_for()
    name_input = page.get_by_label("Name", exact=True)
    assert name_input.get_attribute("aria-invalid") == "true"
    described = page.locator(f"#{name_input.get_attribute('aria-describedby')}".replace(":", "\\:"))
    assert described.inner_text().strip() == name_errors[0]


@pytest.mark.slow
def test_publishing_a_draft_makes_a_template_and_binds_the_draft(
    console_page: Any, platform: Any
) -> None:
    name = f"Console draft {uuid.uuid4().hex[:6]}"
    page = console_page
    sign_in(page, platform)
    page.get_by_role("link", name="Automation templates").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill("made in the browser")
    page.get_by_role("button", name="Create draft").click()
    page.get_by_role("status").filter(has_text=f'Draft "{name}" created.').wait_for()
    drafts = page.get_by_role("table", name="Drafts")
    row = drafts.get_by_role("row").filter(has_text=name)
    assert "not published" in row.inner_text()

    row.get_by_role("button", name=f"Publish {name}").click()
    page.get_by_role("status").filter(has_text=f'Published "{name}"').wait_for()
    templates = page.get_by_role("table", name="Templates")
    templates.get_by_role("row").filter(has_text=name).wait_for()
    assert f"bound to {name}" in drafts.get_by_role("row").filter(has_text=name).inner_text()
