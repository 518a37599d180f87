"""Input and roles on real servers: members use a workspace but only its
owners and admins change its configuration or delete; a flow over the body
limit gets 413 and one over the document cap 422 (never MongoDB's 500); the
tier's ``flows`` limit holds."""

import uuid
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from feature_api.projection import apply_core_event
from sendfx_shared.events.core import WORKSPACE_MEMBER_ADDED, WorkspaceMemberChanged

from .conftest import core_event

Document = dict[str, Any]
GRAPH: dict[str, Any] = {
    "nodes": [{"id": "start", "type": "start"}, {"id": "say", "type": "message"}],
    "edges": [{"source": "start", "target": "say"}],
}


async def _member(db: AsyncDatabase[Document], authorize: Any, workspace: Any, role: str) -> Any:
    actor = authorize()
    await apply_core_event(
        db,
        core_event(
            WORKSPACE_MEMBER_ADDED,
            WorkspaceMemberChanged(
                workspace_id=workspace.id, user_id=actor.user_id, role=role, version=1
            ),
        ),
    )
    return actor


def _flow_of_size(megabytes: float) -> dict[str, Any]:
    blob = "x" * int(megabytes * 1024 * 1024)
    nodes = [
        {"id": "start", "type": "start"},
        {"id": "say", "type": "message", "data": {"t": blob}},
    ]
    return {"name": "Big", "nodes": nodes, "edges": GRAPH["edges"]}


async def test_a_member_uses_the_workspace_but_cannot_delete_or_reconfigure(
    http: httpx.AsyncClient, db: AsyncDatabase[Document], authorize: Any, workspace: Any
) -> None:
    owner = workspace.owner.headers
    member = (await _member(db, authorize, workspace, "member")).headers
    flows = f"/api/workspaces/{workspace.id}/flows"
    flow = (await http.post(flows, json={"name": "F", **GRAPH}, headers=owner)).json()
    conversation = await http.post(
        f"/api/workspaces/{workspace.id}/conversations", json={"title": "Hi"}, headers=member
    )
    assert conversation.status_code == 201, conversation.text  # members use
    assert (await http.get(f"/api/flows/{flow['id']}", headers=member)).status_code == 200

    refused = await http.delete(f"/api/flows/{flow['id']}", headers=member)
    assert refused.status_code == 403 and "owner or admin" in refused.json()["detail"]
    gone = await http.delete(f"/api/conversations/{conversation.json()['id']}", headers=member)
    assert gone.status_code == 403
    edit = await http.put(f"/api/flows/{flow['id']}", json={"name": "G", **GRAPH}, headers=member)
    assert edit.status_code == 403
    assistant = await http.put(
        f"/api/workspaces/{workspace.id}/assistant", json={"name": "Mine"}, headers=member
    )
    assert assistant.status_code == 403
    assert (await http.get(f"/api/flows/{flow['id']}", headers=owner)).json()["name"] == "F"

    admin = (await _member(db, authorize, workspace, "admin")).headers
    assert (await http.delete(f"/api/flows/{flow['id']}", headers=admin)).status_code == 204


async def test_a_17_mb_flow_gets_413_and_a_9_mb_one_422(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    url = f"/api/workspaces/{workspace.id}/flows"
    huge = await http.post(url, json=_flow_of_size(17), headers=workspace.owner.headers)
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("application/problem+json")
    large = await http.post(url, json=_flow_of_size(9), headers=workspace.owner.headers)
    assert large.status_code == 422, large.text[:300]
    assert large.json()["type"].endswith("/document-too-large")
    listed = await http.get(url, headers=workspace.owner.headers)
    assert listed.json()["items"] == []


async def test_a_chunked_body_over_the_limit_gets_413(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    chunk = b'{"name": "' + b"y" * (1024 * 1024)

    async def body() -> Any:
        for _ in range(12):
            yield chunk

    answer = await http.post(
        f"/api/workspaces/{workspace.id}/flows",
        content=body(),
        headers={**workspace.owner.headers, "content-type": "application/json"},
    )
    assert answer.status_code == 413, answer.text


async def test_the_tiers_flows_limit_is_enforced(
    http: httpx.AsyncClient, make_workspace: Any
) -> None:
    workspace = await make_workspace(flows=2)
    url = f"/api/workspaces/{workspace.id}/flows"
    for n in range(2):
        made = await http.post(
            url, json={"name": f"F{n}", **GRAPH}, headers=workspace.owner.headers
        )
        assert made.status_code == 201
    third = await http.post(url, json={"name": "F3", **GRAPH}, headers=workspace.owner.headers)
    assert third.status_code == 409
    assert third.json()["type"].endswith("/flows-limit-reached") and third.json()["limit"] == 2
    assert uuid.UUID(str(workspace.id))
