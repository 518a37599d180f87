"""The flow builder: drafts, publishing to templates, the admin routes of
CONTRACT.md, concurrent publishes and workspace isolation."""

import asyncio
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

GRAPH: dict[str, Any] = {
    "nodes": [{"id": "s", "type": "start"}, {"id": "m", "type": "message"}],
    "edges": [{"source": "s", "target": "m"}],
}


async def _draft(http: httpx.AsyncClient, admin: Any, **fields: Any) -> dict[str, Any]:
    response = await http.post(
        "/api/admin/flow-drafts",
        json={"name": "Onboarding", **GRAPH, **fields},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_admin_lists_are_wrapped_and_camel_cased(http: httpx.AsyncClient, admin: Any) -> None:
    draft = await _draft(http, admin)
    assert draft["templateId"] is None and "createdAt" in draft
    listed = await http.get("/api/admin/flow-drafts", params={"limit": 200}, headers=admin.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert set(body) == {"items", "next_cursor"}
    assert draft["id"] in [d["id"] for d in body["items"]]
    templates = await http.get("/api/admin/flow-templates", headers=admin.headers)
    assert set(templates.json()) == {"items", "next_cursor"}


async def test_publish_creates_a_template_then_versions_it(
    http: httpx.AsyncClient, admin: Any, authorize: Any
) -> None:
    draft = await _draft(http, admin)
    first = await http.post(f"/api/admin/flow-drafts/{draft['id']}/publish", headers=admin.headers)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["createdTemplate"] is True
    template = result["template"]
    assert template["version"] == 1 and template["originDraftId"] == draft["id"]
    assert result["draft"]["templateId"] == template["id"]

    changed = {**GRAPH, "nodes": [*GRAPH["nodes"], {"id": "x", "type": "message"}]}
    await http.put(
        f"/api/admin/flow-drafts/{draft['id']}",
        json={"name": "Onboarding v2", **changed, "templateId": template["id"]},
        headers=admin.headers,
    )
    second = await http.post(f"/api/admin/flow-drafts/{draft['id']}/publish", headers=admin.headers)
    assert second.json()["createdTemplate"] is False
    assert second.json()["template"]["id"] == template["id"]
    assert second.json()["template"]["version"] == 2
    assert len(second.json()["template"]["nodes"]) == 3

    # an edit that does not mention the template keeps the draft bound to it
    edited = await http.put(
        f"/api/admin/flow-drafts/{draft['id']}",
        json={"name": "Onboarding v3", **changed},
        headers=admin.headers,
    )
    assert edited.json()["templateId"] == template["id"]

    # a draft bound to an existing template publishes a new version of it
    other = await _draft(http, admin, templateId=template["id"])
    third = await http.post(f"/api/admin/flow-drafts/{other['id']}/publish", headers=admin.headers)
    assert third.json()["template"]["id"] == template["id"]
    assert third.json()["template"]["version"] == 3

    # every signed-in user reads the global templates
    user = authorize()
    seen = await http.get(f"/api/flow-templates/{template['id']}", headers=user.headers)
    assert seen.status_code == 200 and seen.json()["version"] == 3


async def test_concurrent_publishes_make_one_template(
    http: httpx.AsyncClient, admin: Any, db: AsyncDatabase[dict[str, Any]]
) -> None:
    draft = await _draft(http, admin)
    answers = await asyncio.gather(
        *(
            http.post(f"/api/admin/flow-drafts/{draft['id']}/publish", headers=admin.headers)
            for _ in range(4)
        )
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sum(a.json()["createdTemplate"] for a in answers) == 1
    assert len({a.json()["template"]["id"] for a in answers}) == 1
    assert await db["flow_templates"].count_documents({"origin_draft_id": draft["id"]}) == 1
    versions = sorted(a.json()["template"]["version"] for a in answers)
    assert versions == [1, 2, 3, 4]


async def test_draft_errors_come_field_by_field(http: httpx.AsyncClient, admin: Any) -> None:
    response = await http.post(
        "/api/admin/flow-drafts",
        json={
            "name": "",
            "nodes": [{"id": "a", "type": "start"}, {"id": "a", "type": "m"}],
            "edges": [],
        },
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "name" in {e["field"] for e in response.json()["errors"]}

    duplicated = await http.post(
        "/api/admin/flow-drafts",
        json={"name": "d", "nodes": [{"id": "a", "type": "start"}, {"id": "a", "type": "m"}]},
        headers=admin.headers,
    )
    assert duplicated.status_code == 422
    assert duplicated.json()["errors"][0]["field"] == "nodes.1.id"

    unknown = await http.post(
        "/api/admin/flow-drafts",
        json={"name": "d", "templateId": "no-such-template"},
        headers=admin.headers,
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "templateId"


async def test_a_draft_without_start_node_cannot_be_published(
    http: httpx.AsyncClient, admin: Any
) -> None:
    draft = await _draft(http, admin, nodes=[{"id": "m", "type": "message"}], edges=[])
    response = await http.post(
        f"/api/admin/flow-drafts/{draft['id']}/publish", headers=admin.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "start_node_count"


async def test_admin_builder_is_for_admins_only(http: httpx.AsyncClient, workspace: Any) -> None:
    h = workspace.owner.headers
    assert (await http.get("/api/admin/flow-drafts", headers=h)).status_code == 403
    assert (
        await http.post("/api/admin/flow-drafts", json={"name": "x"}, headers=h)
    ).status_code == 403
    assert (await http.get("/api/admin/flow-templates", headers=h)).status_code == 403
    assert (await http.post("/api/admin/flow-drafts/x/publish", headers=h)).status_code == 403
    assert (await http.get("/api/admin/flow-drafts")).status_code == 401


async def test_workspace_drafts_and_templates_stay_in_their_workspace(
    http: httpx.AsyncClient, workspace: Any, make_workspace: Any
) -> None:
    mine = f"/api/workspaces/{workspace.id}"
    made = await http.post(
        f"{mine}/flow-drafts", json={"name": "Ours", **GRAPH}, headers=workspace.owner.headers
    )
    draft = made.json()
    published = await http.post(
        f"{mine}/flow-drafts/{draft['id']}/publish", headers=workspace.owner.headers
    )
    assert published.status_code == 200
    template_id = published.json()["template"]["id"]
    listed = await http.get(f"{mine}/flow-templates", headers=workspace.owner.headers)
    assert [t["id"] for t in listed.json()["items"]] == [template_id]

    other = await make_workspace()
    theirs = f"/api/workspaces/{other.id}"
    h = other.owner.headers
    # their own builder knows nothing of ours ...
    assert (await http.get(f"{theirs}/flow-drafts/{draft['id']}", headers=h)).status_code == 404
    assert (
        await http.post(f"{theirs}/flow-drafts/{draft['id']}/publish", headers=h)
    ).status_code == 404
    assert (await http.get(f"{theirs}/flow-templates/{template_id}", headers=h)).status_code == 404
    assert (await http.get(f"{theirs}/flow-templates", headers=h)).json()["items"] == []
    # ... and ours is closed to them
    for path in (
        f"{mine}/flow-drafts",
        f"{mine}/flow-drafts/{draft['id']}",
        f"{mine}/flow-templates",
        f"{mine}/flow-templates/{template_id}",
    ):
        assert (await http.get(path, headers=h)).status_code == 404, path
    assert (
        await http.post(f"{mine}/flow-drafts/{draft['id']}/publish", headers=h)
    ).status_code == 404
    assert (
        await http.put(f"{mine}/flow-drafts/{draft['id']}", json={"name": "x"}, headers=h)
    ).status_code == 404
    assert (await http.delete(f"{mine}/flow-drafts/{draft['id']}", headers=h)).status_code == 404
    # nor do workspace templates leak into the global list
    assert (await http.get(f"/api/flow-templates/{template_id}", headers=h)).status_code == 404
