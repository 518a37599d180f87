"""Route-table-driven checks over every operation in /openapi.json: no route
but the public theme answers without a token, and every route that names a
workspace or one of its resources answers 404 to a signed-in stranger (and
to the member of another workspace)."""

import re
from typing import Any

import httpx

GRAPH = {
    "nodes": [{"id": "s", "type": "start"}, {"id": "agent", "type": "agent", "data": {}}],
    "edges": [{"source": "s", "target": "agent"}],
}
PUBLIC = {("GET", "/api/ui-settings"), ("GET", "/healthz")}
GLOBAL_OR_ADMIN = re.compile(r"^/api/(admin|flow-templates|ui-settings)(/|$)")

# A valid body per operation, so that a 404 cannot hide behind a 422.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/workspaces/{workspace_id}/flows"): {"name": "x", **GRAPH},
    ("PUT", "/api/flows/{flow_id}"): {"name": "x", **GRAPH},
    ("POST", "/api/workspaces/{workspace_id}/flow-drafts"): {"name": "x"},
    ("PUT", "/api/workspaces/{workspace_id}/flow-drafts/{draft_id}"): {"name": "x"},
    ("POST", "/api/workspaces/{workspace_id}/flow-drafts/{draft_id}/publish"): None,
    ("POST", "/api/workspaces/{workspace_id}/conversations"): {},
    ("POST", "/api/conversations/{conversation_id}/messages"): {"content": "x"},
    ("POST", "/api/conversations/{conversation_id}/ai-reply"): {},
    ("POST", "/api/workspaces/{workspace_id}/knowledge"): {"title": "x", "text": "y"},
    ("PUT", "/api/knowledge/{document_id}"): {"title": "x", "text": "y"},
    ("POST", "/api/workspaces/{workspace_id}/agents/run"): {
        "flow_id": "{flow_id}",
        "node_id": "agent",
        "input": "x",
    },
    ("PUT", "/api/workspaces/{workspace_id}/assistant"): {},
    ("POST", "/api/workspaces/{workspace_id}/assistant/chat"): {
        "messages": [{"role": "user", "content": "x"}]
    },
}

QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/workspaces/{workspace_id}/knowledge/search"): {"q": "x"},
}


async def _operations(http: httpx.AsyncClient) -> list[tuple[str, str]]:
    document = (await http.get("/openapi.json")).json()
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    ]


def _fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


def _body(key: tuple[str, str], ids: dict[str, str]) -> Any:
    body = BODIES.get(key)
    if isinstance(body, dict) and body.get("flow_id") == "{flow_id}":
        return {**body, "flow_id": ids["flow_id"]}
    return body


async def _owned_resources(http: httpx.AsyncClient, workspace: Any) -> dict[str, str]:
    h = workspace.owner.headers
    base = f"/api/workspaces/{workspace.id}"
    flow = (await http.post(f"{base}/flows", json={"name": "f", **GRAPH}, headers=h)).json()
    conversation = (await http.post(f"{base}/conversations", json={}, headers=h)).json()
    await http.post(
        f"/api/conversations/{conversation['id']}/messages", json={"content": "hi"}, headers=h
    )
    document = (
        await http.post(f"{base}/knowledge", json={"title": "t", "text": "x"}, headers=h)
    ).json()
    draft = (await http.post(f"{base}/flow-drafts", json={"name": "d", **GRAPH}, headers=h)).json()
    published = (await http.post(f"{base}/flow-drafts/{draft['id']}/publish", headers=h)).json()
    return {
        "workspace_id": str(workspace.id),
        "flow_id": flow["id"],
        "conversation_id": conversation["id"],
        "document_id": document["id"],
        "draft_id": draft["id"],
        "template_id": published["template"]["id"],
    }


async def test_nothing_but_the_theme_answers_without_a_token(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    ids = await _owned_resources(http, workspace)
    checked = 0
    for method, path in await _operations(http):
        if (method, path) in PUBLIC:
            continue
        answer = await http.request(method, _fill(path, ids), json=_body((method, path), ids))
        assert answer.status_code == 401, (method, path, answer.status_code)
        checked += 1
    assert checked > 40


async def test_every_workspace_route_is_404_to_outsiders(
    http: httpx.AsyncClient, workspace: Any, stranger: Any, make_workspace: Any
) -> None:
    ids = await _owned_resources(http, workspace)
    other = await make_workspace()
    scoped = [
        (method, path)
        for method, path in await _operations(http)
        if "{" in path and not GLOBAL_OR_ADMIN.match(path)
    ]
    writes = [op for op in scoped if op[0] in ("POST", "PUT")]
    assert set(writes) <= set(BODIES), f"add a body for {set(writes) - set(BODIES)}"
    assert len(scoped) > 25
    for actor in (stranger, other.owner):
        for method, path in scoped:
            answer = await http.request(
                method,
                _fill(path, ids),
                json=_body((method, path), ids),
                params=QUERIES.get((method, path)),
                headers=actor.headers,
            )
            assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
    # and the owner's own resources are all still there
    h = workspace.owner.headers
    assert (await http.get(f"/api/flows/{ids['flow_id']}", headers=h)).status_code == 200
    assert (await http.get(f"/api/knowledge/{ids['document_id']}", headers=h)).status_code == 200
