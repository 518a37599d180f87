"""AI answers as server-sent events (Accept: text/event-stream): text as the
model writes it, then the stored reply; a cut stream and a client that goes
away still leave exactly one usage event."""

import asyncio
import json
from typing import Any

import httpx

EVENTS = {"Accept": "text/event-stream"}


async def _conversation(http: httpx.AsyncClient, workspace: Any, content: str) -> str:
    made = await http.post(
        f"/api/workspaces/{workspace.id}/conversations", json={}, headers=workspace.owner.headers
    )
    conversation_id = str(made.json()["id"])
    await http.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"content": content},
        headers=workspace.owner.headers,
    )
    return conversation_id


def _parse(raw: str) -> list[tuple[str, Any]]:
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def _usage_of(workspace: Any) -> Any:
    return lambda e: e["data"].get("workspace_id") == str(workspace.id)


async def test_reply_streams_as_events_then_is_stored(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "tell me about streaming replies")
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply",
        headers={**workspace.owner.headers, **EVENTS},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _parse(response.text)
    deltas = [data["content"] for name, data in events if name == "delta"]
    assert len(deltas) == 6
    assert "".join(deltas) == "Echo: tell me about streaming replies"
    name, done = events[-1]
    assert name == "done"
    assert done["message"]["content"] == "Echo: tell me about streaming replies"
    assert done["usage"]["completion_tokens"] == 6 and done["usage"]["usage_missing"] is False
    usage = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert len(usage) == 1


async def test_assistant_chat_streams_too(http: httpx.AsyncClient, workspace: Any) -> None:
    response = await http.post(
        f"/api/workspaces/{workspace.id}/assistant/chat",
        json={"messages": [{"role": "user", "content": "hello there"}]},
        headers={**workspace.owner.headers, **EVENTS},
    )
    events = _parse(response.text)
    assert [name for name, _ in events] == ["delta", "delta", "delta", "done"]
    assert events[-1][1]["message"]["content"] == "Echo: hello there"


async def test_a_cut_stream_ends_with_an_error_event(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "a b c d e [[fault:cut-stream]]")
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply",
        headers={**workspace.owner.headers, **EVENTS},
    )
    events = _parse(response.text)
    assert [name for name, _ in events] == ["delta", "delta", "delta", "error"]
    assert events[-1][1]["status"] == 502
    usage = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert [u["data"]["usage_missing"] for u in usage] == [True]


async def test_failures_before_the_first_token_are_plain_problems(
    http: httpx.AsyncClient, workspace: Any, stranger: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "hi [[fault:error-500]]")
    failed = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply",
        headers={**workspace.owner.headers, **EVENTS},
    )
    assert failed.status_code == 502
    assert failed.headers["content-type"].startswith("application/problem+json")
    hidden = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply", headers={**stranger.headers, **EVENTS}
    )
    assert hidden.status_code == 404


async def test_a_client_that_leaves_early_still_gets_its_reply_stored(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    words = " ".join(f"w{n}" for n in range(40))
    conversation_id = await _conversation(http, workspace, words)
    async with http.stream(
        "POST",
        f"/api/conversations/{conversation_id}/ai-reply",
        headers={**workspace.owner.headers, **EVENTS},
    ) as response:
        async for _ in response.aiter_bytes():
            break  # the first event, then away
    stored: list[Any] = []
    for _ in range(100):
        listed = await http.get(
            f"/api/conversations/{conversation_id}/messages", headers=workspace.owner.headers
        )
        stored = listed.json()["items"]
        if len(stored) == 2:
            break
        await asyncio.sleep(0.1)
    assert [m["role"] for m in stored] == ["user", "assistant"]
    assert stored[1]["content"] == f"Echo: {words}"
    usage = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert len(usage) == 1
