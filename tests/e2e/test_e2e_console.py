"""The admin console at /admin/, in Debian's Chromium, against the real
platform behind the gateway: what an operator sees matches what the API says."""

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
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
        # the fake OpenAI names the tier that served the call: flex
        json={"content": "hello from the console test [[served_tier:flex]]"},
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
    summary = usage()
    totals = summary["totals"]
    tiers = {row["service_tier"]: row for row in summary["by_service_tier"]}
    assert "flex" in tiers, summary

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
    by_tier = page.get_by_role("table", name="By service tier")
    flex = by_tier.get_by_role("row").filter(has=page.get_by_role("cell", name="flex", exact=True))
    cells = flex.get_by_role("cell").all_inner_texts()
    assert cells[:2] == ["flex", f"{tiers['flex']['calls']:,}"], cells
    assert page.get_by_role("img", name=re.compile("Chart of calls, tokens and cost")).is_visible()
    # the CSV export saves what /usage/calls answers for text/csv over the range shown
    shown_range = {
        "from": page.get_by_label("From", exact=True).input_value(),
        "to": page.get_by_label("To", exact=True).input_value(),
        "tz": "UTC",
    }
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    saved = Path(download_info.value.path()).read_bytes()
    expected = gw.get(
        f"/api/admin/workspaces/{workspace_id}/usage/calls",
        params=shown_range,
        headers={**admin_headers, "Accept": "text/csv"},
    )
    assert expected.headers["content-type"].startswith("text/csv"), expected.text
    assert saved == expected.content and b",flex," in saved
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


@pytest.mark.slow
def test_a_price_added_in_the_console_is_listed_as_core_api_stores_it(
    console_page: Any, platform: Any, gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    # "a-" sorts before the seeded models: on the page's first 200 entries
    model = f"a-console-{uuid.uuid4().hex[:6]}"
    page = console_page
    sign_in(page, platform)
    page.get_by_role("link", name="Model prices").click()
    page.get_by_role("heading", name="Add a price entry").wait_for()
    page.get_by_label("Model", exact=True).fill(model)
    page.get_by_label("Effective from").fill("2026-01-01")
    page.get_by_label("Service tier").select_option("flex")
    page.get_by_label("Input (USD per 1M)", exact=True).fill("0.125")
    page.get_by_label("Cached input (USD per 1M)", exact=True).fill("0.0125")
    page.get_by_label("Output (USD per 1M)", exact=True).fill("1.5")
    page.get_by_role("button", name="Add price").click()
    page.get_by_role("status").filter(has_text=f"Added {model} from 2026-01-01.").wait_for()

    listed = gw.get("/api/admin/model-prices", params={"model": model}, headers=admin_headers)
    assert listed.status_code == 200, listed.text
    [entry] = listed.json()["items"]
    assert entry["service_tier"] == "flex" and entry["reasoning"] is None
    table = page.get_by_role("table", name="Prices in USD per 1M tokens")
    row = table.get_by_role("row").filter(has_text=model)
    row.wait_for()
    cells = row.get_by_role("cell").all_inner_texts()
    assert cells == [
        model,
        "flex",
        entry["effective_from"],
        entry["input"],
        entry["cached_input"],
        entry["output"],
        "—",
        "—",
        "—",
        "—",
        entry["source"],
    ], cells

    # a reprice of the new model's calls (none): the usage-ingestor's numbers
    day = datetime.now(UTC).date().isoformat()
    page.get_by_label("Reprice from").fill(day)
    page.get_by_label("Reprice to").fill(day)
    page.get_by_label("Only model (optional)").fill(model)
    page.get_by_role("button", name="Reprice").click()
    done = page.get_by_role("status").filter(has_text="Repriced")
    done.wait_for()
    answer = gw.post(
        "/api/admin/usage/reprice",
        json={"from": day, "to": day, "model": model},
        headers=admin_headers,
    ).json()
    assert done.inner_text() == (
        f"Repriced {answer['calls']} calls, {answer['changed']} changed: "
        f"${answer['cost_before']:.4f} → ${answer['cost_after']:.4f}."
    )
