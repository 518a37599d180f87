"""feature.events: every kind of change is announced, keyed by its aggregate."""

from typing import Any

import httpx

GRAPH = {"nodes": [{"id": "s", "type": "start"}], "edges": []}


async def test_changes_of_each_aggregate_are_announced(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    h = workspace.owner.headers
    base = f"/api/workspaces/{workspace.id}"
    conversation = (await http.post(f"{base}/conversations", json={}, headers=h)).json()
    await http.post(
        f"/api/conversations/{conversation['id']}/messages", json={"content": "hi"}, headers=h
    )
    document = (
        await http.post(f"{base}/knowledge", json={"title": "T", "text": "words"}, headers=h)
    ).json()
    draft = (await http.post(f"{base}/flow-drafts", json={"name": "D", **GRAPH}, headers=h)).json()
    published = (await http.post(f"{base}/flow-drafts/{draft['id']}/publish", headers=h)).json()
    template_id = published["template"]["id"]

    def ours(event: dict[str, Any]) -> bool:
        return event["data"].get("workspace_id") == str(workspace.id)

    events = await read_topic("feature.events", where=ours, at_least=6)
    by_key: dict[str, list[str]] = {}
    for event in events:
        by_key.setdefault(event["_key"], []).append(event["type"])
    assert by_key[conversation["id"]] == ["conversation.created", "conversation.message_added"]
    assert by_key[document["id"]] == ["knowledge.document_created"]
    assert by_key[draft["id"]] == ["flow_draft.created", "flow_draft.published"]
    assert by_key[template_id] == ["flow_template.created"]
    assert all(e["source"] == "/sendfx/feature-api" for e in events)
