"""AI reply, agent and assistant through the fake OpenAI server: usage
events (one per call, cached and reasoning tokens included), the cut stream,
upstream errors and timeouts, and isolation."""

from typing import Any

import httpx


async def _conversation(http: httpx.AsyncClient, workspace: Any, *contents: str) -> str:
    made = await http.post(
        f"/api/workspaces/{workspace.id}/conversations",
        json={"title": "Support"},
        headers=workspace.owner.headers,
    )
    conversation_id = str(made.json()["id"])
    for content in contents:
        sent = await http.post(
            f"/api/conversations/{conversation_id}/messages",
            json={"content": content},
            headers=workspace.owner.headers,
        )
        assert sent.status_code == 201
    return conversation_id


def _usage_of(workspace: Any) -> Any:
    return lambda e: (
        e["type"] == "openai.call.completed" and e["data"]["workspace_id"] == str(workspace.id)
    )


async def test_ai_reply_answers_with_knowledge_and_publishes_usage(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    await http.post(
        f"/api/workspaces/{workspace.id}/knowledge",
        json={"title": "Refunds", "text": "Refunds are paid within 14 days.", "tags": ["billing"]},
        headers=workspace.owner.headers,
    )
    conversation_id = await _conversation(
        http, workspace, "how long do refunds take? [[cached:6]] [[reasoning:2]]"
    )
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["message"]["role"] == "assistant"
    assert body["message"]["content"] == "Echo: how long do refunds take?"
    assert body["message"]["seq"] == 2
    assert [s["title"] for s in body["sources"]] == ["Refunds"]
    usage = body["usage"]
    assert usage["cached_tokens"] == 6 and usage["reasoning_tokens"] == 2
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    events = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert len(events) == 1
    data = events[0]["data"]
    assert events[0]["_key"] == str(workspace.id)
    assert data["service"] == "ai_reply"
    assert data["model"] == "gpt-4o-mini-2024-07-18"
    assert data["user_id"] == str(workspace.owner.user_id)
    assert (data["prompt_tokens"], data["cached_tokens"]) == (usage["prompt_tokens"], 6)
    assert (data["completion_tokens"], data["reasoning_tokens"]) == (usage["completion_tokens"], 2)
    assert data["request_id"] == usage["request_id"] and data["usage_missing"] is False

    listed = await http.get(
        f"/api/conversations/{conversation_id}/messages", headers=workspace.owner.headers
    )
    assert [m["role"] for m in listed.json()["items"]] == ["user", "assistant"]


async def test_streamed_reply_reports_the_usage_chunk(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "stream me a reply please")
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply",
        json={"stream": True},
        headers=workspace.owner.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["message"]["content"] == "Echo: stream me a reply please"
    assert response.json()["usage"]["completion_tokens"] == 6
    events = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert [e["data"]["usage_missing"] for e in events] == [False]
    assert events[0]["data"]["completion_tokens"] == 6


async def test_cut_stream_is_recorded_as_usage_missing(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    conversation_id = await _conversation(
        http, workspace, "one two three four five [[fault:cut-stream]]"
    )
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply",
        json={"stream": True},
        headers=workspace.owner.headers,
    )
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "cut off" in response.json()["detail"]
    events = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert len(events) == 1
    data = events[0]["data"]
    assert data["usage_missing"] is True
    assert data["completion_tokens"] == 3  # the chunks seen before the cut
    # no half answer was stored
    listed = await http.get(
        f"/api/conversations/{conversation_id}/messages", headers=workspace.owner.headers
    )
    assert [m["role"] for m in listed.json()["items"]] == ["user"]


async def test_upstream_errors_are_502_without_usage(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any, fake_openai: Any
) -> None:
    for fault in ("error-500", "error-429", "error-400"):
        conversation_id = await _conversation(http, workspace, f"hi [[fault:{fault}]]")
        response = await http.post(
            f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
        )
        assert response.status_code == 502, (fault, response.text)
        assert response.json()["type"].endswith("/model-unavailable")
        # The provider's own text stays in the log (with the request id).
        assert "(fake)" not in response.text
    # a flaky upstream is retried before any token arrives, and then answers
    conversation_id = await _conversation(http, workspace, "hi [[fault:flaky-500]] again")
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
    )
    assert response.status_code == 201, response.text
    events = await read_topic("openai.call.completed", where=_usage_of(workspace), wait_seconds=3)
    assert len(events) == 1  # only the call that answered spent tokens


async def test_timeout_is_504(http: httpx.AsyncClient, workspace: Any) -> None:
    conversation_id = await _conversation(http, workspace, "hi [[fault:slow:5]]")
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
    )
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_nothing_to_answer_is_a_clear_conflict(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    conversation_id = await _conversation(http, workspace)
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
    )
    assert response.status_code == 409


AGENT_FLOW = {
    "name": "Orders",
    "nodes": [
        {"id": "start", "type": "start"},
        {
            "id": "agent",
            "type": "agent",
            "data": {
                "instructions": "You look up orders.",
                "tools": [
                    {
                        "name": "lookup_order",
                        "description": "find an order by id",
                        "parameters": {
                            "type": "object",
                            "properties": {"order_id": {"type": "string"}},
                            "required": ["order_id"],
                        },
                    }
                ],
            },
        },
    ],
    "edges": [{"source": "start", "target": "agent"}],
}


async def test_agent_runs_a_node_with_its_tools(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    flow = (
        await http.post(
            f"/api/workspaces/{workspace.id}/flows",
            json=AGENT_FLOW,
            headers=workspace.owner.headers,
        )
    ).json()
    for stream in (False, True):
        response = await http.post(
            f"/api/workspaces/{workspace.id}/agents/run",
            json={
                "flow_id": flow["id"],
                "node_id": "agent",
                "input": "lookup_order 42",
                "stream": stream,
            },
            headers=workspace.owner.headers,
        )
        assert response.status_code == 201, response.text
        run = response.json()
        assert [c["name"] for c in run["tool_calls"]] == ["lookup_order"]
        assert run["tool_calls"][0]["arguments"] == {"order_id": "lookup_order 42"}
        assert run["usage"]["prompt_tokens"] > 0
    events = await read_topic("openai.call.completed", where=_usage_of(workspace), at_least=2)
    assert [e["data"]["service"] for e in events] == ["ai_agent", "ai_agent"]

    missing = await http.post(
        f"/api/workspaces/{workspace.id}/agents/run",
        json={"flow_id": flow["id"], "node_id": "nope", "input": "x"},
        headers=workspace.owner.headers,
    )
    assert missing.status_code == 404
    not_agent = await http.post(
        f"/api/workspaces/{workspace.id}/agents/run",
        json={"flow_id": flow["id"], "node_id": "start", "input": "x"},
        headers=workspace.owner.headers,
    )
    assert not_agent.status_code == 422
    assert not_agent.json()["type"].endswith("/not-an-agent-node")


async def test_assistant_chat_uses_the_workspace_configuration(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    base = f"/api/workspaces/{workspace.id}/assistant"
    default = await http.get(base, headers=workspace.owner.headers)
    assert default.status_code == 200 and default.json()["name"] == "Assistant"
    saved = await http.put(
        base,
        json={"name": "Ada", "instructions": "Answer briefly.", "use_knowledge": False},
        headers=workspace.owner.headers,
    )
    assert saved.status_code == 200 and saved.json()["name"] == "Ada"
    chat = await http.post(
        f"{base}/chat",
        json={"messages": [{"role": "user", "content": "what is sendfx"}]},
        headers=workspace.owner.headers,
    )
    assert chat.status_code == 201, chat.text
    assert chat.json()["message"]["content"] == "Echo: what is sendfx"
    events = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert [e["data"]["service"] for e in events] == ["assistant"]


async def test_ai_routes_are_closed_to_other_workspaces(
    http: httpx.AsyncClient, workspace: Any, stranger: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "hello")
    flow = (
        await http.post(
            f"/api/workspaces/{workspace.id}/flows",
            json=AGENT_FLOW,
            headers=workspace.owner.headers,
        )
    ).json()
    h = stranger.headers
    assert (
        await http.post(f"/api/conversations/{conversation_id}/ai-reply", headers=h)
    ).status_code == 404
    run = await http.post(
        f"/api/workspaces/{workspace.id}/agents/run",
        json={"flow_id": flow["id"], "node_id": "agent", "input": "x"},
        headers=h,
    )
    assert run.status_code == 404
    base = f"/api/workspaces/{workspace.id}/assistant"
    assert (await http.get(base, headers=h)).status_code == 404
    assert (await http.put(base, json={}, headers=h)).status_code == 404
    chat = await http.post(
        f"{base}/chat", json={"messages": [{"role": "user", "content": "x"}]}, headers=h
    )
    assert chat.status_code == 404


async def test_a_question_older_than_the_history_window_is_still_answered(
    http: httpx.AsyncClient, workspace: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "regenerate this answer")
    for _ in range(6):  # the window holds 4 messages (test settings)
        again = await http.post(
            f"/api/conversations/{conversation_id}/ai-reply", headers=workspace.owner.headers
        )
        assert again.status_code == 201, again.text
    assert again.json()["message"]["content"] == "Echo: regenerate this answer"
    assert again.json()["message"]["seq"] == 7


async def test_a_stream_that_stalls_is_504_and_still_metered(
    http: httpx.AsyncClient, workspace: Any, read_topic: Any
) -> None:
    conversation_id = await _conversation(http, workspace, "a b c d e f [[fault:stall-stream:5]]")
    response = await http.post(
        f"/api/conversations/{conversation_id}/ai-reply",
        json={"stream": True},
        headers=workspace.owner.headers,
    )
    assert response.status_code == 504, response.text
    events = await read_topic("openai.call.completed", where=_usage_of(workspace))
    assert [(e["data"]["usage_missing"], e["data"]["completion_tokens"]) for e in events] == [
        (True, 3)
    ]
