"""Flows: the happy path, graph validation and workspace isolation."""

import uuid
from typing import Any

import httpx

GRAPH: dict[str, Any] = {
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "ask", "type": "message", "data": {"text": "hi"}},
        {"id": "agent", "type": "agent", "data": {"instructions": "help"}},
    ],
    "edges": [{"source": "start", "target": "ask"}, {"source": "ask", "target": "agent"}],
}


async def test_flow_lifecycle(http: httpx.AsyncClient, workspace: Any) -> None:
    base = f"/api/workspaces/{workspace.id}/flows"
    created = await http.post(
        base, json={"name": "Welcome", **GRAPH}, headers=workspace.owner.headers
    )
    assert created.status_code == 201, created.text
    flow = created.json()
    assert flow["workspace_id"] == str(workspace.id) and flow["version"] == 1

    listed = await http.get(base, headers=workspace.owner.headers)
    assert listed.status_code == 200
    assert [f["id"] for f in listed.json()["items"]] == [flow["id"]]
    assert listed.json()["next_cursor"] is None

    renamed = await http.put(
        f"/api/flows/{flow['id']}", json={"name": "Hello", **GRAPH}, headers=workspace.owner.headers
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Hello"
    assert renamed.json()["version"] == 2

    fetched = await http.get(f"/api/flows/{flow['id']}", headers=workspace.owner.headers)
    assert fetched.json()["name"] == "Hello"

    deleted = await http.delete(f"/api/flows/{flow['id']}", headers=workspace.owner.headers)
    assert deleted.status_code == 204
    gone = await http.get(f"/api/flows/{flow['id']}", headers=workspace.owner.headers)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")


async def test_flow_list_pages_with_a_cursor(http: httpx.AsyncClient, workspace: Any) -> None:
    base = f"/api/workspaces/{workspace.id}/flows"
    made = []
    for number in range(5):
        response = await http.post(
            base, json={"name": f"flow {number}", **GRAPH}, headers=workspace.owner.headers
        )
        made.append(response.json()["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await http.get(base, params=params, headers=workspace.owner.headers)).json()
        assert len(page["items"]) <= 2
        seen += [f["id"] for f in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made


async def test_graph_errors_are_reported_field_by_field(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    bad = {
        "name": "Broken",
        "nodes": [
            {"id": "a", "type": "message"},
            {"id": "a", "type": "message"},
        ],
        "edges": [{"source": "a", "target": "nowhere"}],
    }
    response = await http.post(
        f"/api/workspaces/{workspace.id}/flows", json=bad, headers=workspace.owner.headers
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {(e["field"], e["type"]) for e in response.json()["errors"]}
    assert ("nodes.1.id", "duplicate_node_id") in errors
    assert ("edges.0.target", "unknown_node") in errors
    assert ("nodes", "start_node_count") in errors


async def test_two_start_nodes_are_refused(http: httpx.AsyncClient, workspace: Any) -> None:
    body = {"name": "Two", "nodes": [{"id": "a", "type": "start"}, {"id": "b", "type": "start"}]}
    response = await http.post(
        f"/api/workspaces/{workspace.id}/flows", json=body, headers=workspace.owner.headers
    )
    assert response.status_code == 422
    assert "found 2" in response.json()["errors"][0]["message"]


async def test_other_workspaces_flows_are_invisible(
    http: httpx.AsyncClient, workspace: Any, make_workspace: Any, stranger: Any, admin: Any
) -> None:
    other = await make_workspace()
    created = await http.post(
        f"/api/workspaces/{other.id}/flows",
        json={"name": "Theirs", **GRAPH},
        headers=other.owner.headers,
    )
    flow_id = created.json()["id"]
    for actor in (workspace.owner, stranger):
        h = actor.headers
        assert (await http.get(f"/api/workspaces/{other.id}/flows", headers=h)).status_code == 404
        assert (
            await http.post(
                f"/api/workspaces/{other.id}/flows", json={"name": "x", **GRAPH}, headers=h
            )
        ).status_code == 404
        assert (await http.get(f"/api/flows/{flow_id}", headers=h)).status_code == 404
        assert (
            await http.put(f"/api/flows/{flow_id}", json={"name": "x", **GRAPH}, headers=h)
        ).status_code == 404
        assert (await http.delete(f"/api/flows/{flow_id}", headers=h)).status_code == 404
    # a platform admin may act on any workspace
    assert (await http.get(f"/api/flows/{flow_id}", headers=admin.headers)).status_code == 200
    # an unknown workspace looks exactly like someone else's
    unknown = await http.get(
        f"/api/workspaces/{uuid.uuid4()}/flows", headers=workspace.owner.headers
    )
    assert unknown.status_code == 404


async def test_flows_need_a_valid_token(http: httpx.AsyncClient, workspace: Any) -> None:
    base = f"/api/workspaces/{workspace.id}/flows"
    assert (await http.get(base)).status_code == 401
    bad = await http.get(base, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


async def test_flow_changes_are_announced_on_feature_events(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    created = await http.post(
        f"/api/workspaces/{workspace.id}/flows",
        json={"name": "Announced", **GRAPH},
        headers=workspace.owner.headers,
    )
    flow_id = created.json()["id"]
    events = await read_topic(
        "feature.events", where=lambda e: e.get("data", {}).get("flow_id") == flow_id
    )
    assert [e["type"] for e in events] == ["flow.created"]
    assert events[0]["_key"] == flow_id
    assert events[0]["source"] == "/sendfx/feature-api"
    assert events[0]["data"]["node_count"] == 3
