"""Conversations and their append-only, cursor-paginated messages."""

import asyncio
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


async def _conversation(http: httpx.AsyncClient, workspace: Any) -> str:
    made = await http.post(
        f"/api/workspaces/{workspace.id}/conversations",
        json={"title": "Chat"},
        headers=workspace.owner.headers,
    )
    assert made.status_code == 201
    assert made.json()["workspace_id"] == str(workspace.id)
    return str(made.json()["id"])


async def _all_messages(
    http: httpx.AsyncClient, workspace: Any, conversation_id: str, page_size: int
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": page_size}
        if cursor:
            params["cursor"] = cursor
        page = await http.get(
            f"/api/conversations/{conversation_id}/messages",
            params=params,
            headers=workspace.owner.headers,
        )
        assert page.status_code == 200
        assert len(page.json()["items"]) <= page_size
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_messages_are_appended_in_order_and_paged(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    conversation_id = await _conversation(http, workspace)
    for number in range(7):
        sent = await http.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"content": f"message {number}"},
            headers=workspace.owner.headers,
        )
        assert sent.status_code == 201
        assert sent.json()["seq"] == number + 1
        assert sent.json()["role"] == "user"
    for page_size in (1, 3, 7, 50):
        seen = await _all_messages(http, workspace, conversation_id, page_size)
        assert [m["content"] for m in seen] == [f"message {n}" for n in range(7)]
    fetched = await http.get(
        f"/api/conversations/{conversation_id}", headers=workspace.owner.headers
    )
    assert fetched.json()["message_count"] == 7


async def test_concurrent_appends_get_distinct_numbers(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    conversation_id = await _conversation(http, workspace)
    answers = await asyncio.gather(
        *(
            http.post(
                f"/api/conversations/{conversation_id}/messages",
                json={"content": f"c{n}"},
                headers=workspace.owner.headers,
            )
            for n in range(6)
        )
    )
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert sorted(a.json()["seq"] for a in answers) == [1, 2, 3, 4, 5, 6]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(count=st.integers(min_value=0, max_value=6), page_size=st.integers(min_value=1, max_value=4))
async def test_paging_returns_every_message_once(
    http: httpx.AsyncClient, workspace: Any, count: int, page_size: int
) -> None:
    conversation_id = await _conversation(http, workspace)
    for number in range(count):
        await http.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"content": str(number)},
            headers=workspace.owner.headers,
        )
    seen = await _all_messages(http, workspace, conversation_id, page_size)
    assert [m["seq"] for m in seen] == list(range(1, count + 1))


async def test_bad_cursor_and_bad_body_are_problems(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    conversation_id = await _conversation(http, workspace)
    bad_cursor = await http.get(
        f"/api/conversations/{conversation_id}/messages",
        params={"cursor": "!!not-a-cursor"},
        headers=workspace.owner.headers,
    )
    assert bad_cursor.status_code == 400
    empty = await http.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"content": ""},
        headers=workspace.owner.headers,
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "content"


async def test_conversations_are_private_to_their_workspace(
    http: httpx.AsyncClient, workspace: Any, stranger: Any, make_workspace: Any
) -> None:
    conversation_id = await _conversation(http, workspace)
    other = await make_workspace()
    for actor in (stranger, other.owner):
        h = actor.headers
        assert (
            await http.get(f"/api/workspaces/{workspace.id}/conversations", headers=h)
        ).status_code == 404
        assert (
            await http.post(f"/api/workspaces/{workspace.id}/conversations", json={}, headers=h)
        ).status_code == 404
        assert (
            await http.get(f"/api/conversations/{conversation_id}", headers=h)
        ).status_code == 404
        assert (
            await http.get(f"/api/conversations/{conversation_id}/messages", headers=h)
        ).status_code == 404
        assert (
            await http.post(
                f"/api/conversations/{conversation_id}/messages", json={"content": "x"}, headers=h
            )
        ).status_code == 404
        assert (
            await http.delete(f"/api/conversations/{conversation_id}", headers=h)
        ).status_code == 404
    listed = await http.get(
        f"/api/workspaces/{other.id}/conversations", headers=other.owner.headers
    )
    assert listed.json()["items"] == []
    deleted = await http.delete(
        f"/api/conversations/{conversation_id}", headers=workspace.owner.headers
    )
    assert deleted.status_code == 204
