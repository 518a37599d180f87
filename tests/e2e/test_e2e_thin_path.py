"""Steps 1-5 of the walking skeleton, through the gateway, across real processes:
login → workspace → conversation → message → AI reply → usage summary."""

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import pytest

pytestmark = pytest.mark.e2e

T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Poll until ``probe`` returns something (events cross Kafka asynchronously)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what}: still not there after {timeout:.0f} s")


def test_the_seeded_admin_logs_in_and_a_wrong_password_does_not(
    platform: Any, gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    me = gw.get("/api/auth/me", headers=admin_headers)
    assert me.status_code == 200
    assert me.json()["email"] == platform.admin_email
    wrong = gw.post("/api/auth/login", json={"email": platform.admin_email, "password": "not-it"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("application/problem+json")


def test_an_ai_reply_shows_up_in_the_workspace_usage(
    gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    created = gw.post("/api/workspaces", json={"name": "E2E Thin Path"}, headers=admin_headers)
    assert created.status_code == 201, created.text
    workspace_id = created.json()["id"]

    # the very next request, on the other service: no retry (read-your-writes)
    answer = gw.post(
        f"/api/workspaces/{workspace_id}/conversations",
        json={"title": "hello"},
        headers=admin_headers,
    )
    assert answer.status_code == 201, answer.text
    conversation: dict[str, Any] = answer.json()
    assert conversation["workspace_id"] == workspace_id

    message = gw.post(
        f"/api/conversations/{conversation['id']}/messages",
        json={"content": "Hello through the gateway"},
        headers=admin_headers,
    )
    assert message.status_code == 201, message.text

    reply = gw.post(f"/api/conversations/{conversation['id']}/ai-reply", headers=admin_headers)
    assert reply.status_code == 201, reply.text
    usage = reply.json()["usage"]
    assert reply.json()["message"]["role"] == "assistant"
    assert usage["total_tokens"] > 0 and not usage["usage_missing"]

    def summary_with_the_call() -> dict[str, Any] | None:
        answer = gw.get(f"/api/admin/workspaces/{workspace_id}/usage", headers=admin_headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body if body["totals"]["calls"] >= 1 else None

    summary = eventually(summary_with_the_call, "the call in the usage summary")
    totals = summary["totals"]
    assert totals["calls"] == 1
    assert totals["prompt_tokens"] == usage["prompt_tokens"]
    assert totals["completion_tokens"] == usage["completion_tokens"]
    assert totals["total_tokens"] == usage["total_tokens"]
    assert isinstance(totals["cost_usd"], int | float) and totals["cost_usd"] > 0
    assert [row["model"] for row in summary["by_model"]] == [usage["model"]]
    assert [row["service"] for row in summary["by_service"]] == ["ai_reply"]
    assert len(summary["by_day"]) == 1


def test_a_workspace_of_someone_else_is_not_found_for_a_plain_user(
    gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    workspace = gw.post("/api/workspaces", json={"name": "Private"}, headers=admin_headers)
    registered = gw.post(
        "/api/auth/register",
        json={"email": "e2e-user@example.com", "password": "a-long-password-1", "name": "U"},
    )
    assert registered.status_code in (200, 201), registered.text
    login = gw.post(
        "/api/auth/login",
        json={"email": "e2e-user@example.com", "password": "a-long-password-1"},
    )
    user = {"Authorization": f"Bearer {login.json()['access_token']}"}
    usage = gw.get(f"/api/admin/workspaces/{workspace.json()['id']}/usage", headers=user)
    assert usage.status_code in (401, 403, 404)
    conversation = gw.post(
        f"/api/workspaces/{workspace.json()['id']}/conversations", json={}, headers=user
    )
    assert conversation.status_code == 404


def test_the_gateway_tags_every_answer_with_a_request_id(
    gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    mine = gw.get("/api/auth/me", headers={**admin_headers, "X-Request-ID": "e2e-trace-1"})
    assert mine.headers.get_list("x-request-id") == ["e2e-trace-1"]
    minted = gw.get("/api/ui-settings", headers=admin_headers)
    assert len(minted.headers["x-request-id"]) == 32


def test_a_preflight_is_answered_for_the_frontend_origin(gw: httpx.Client) -> None:
    answer = gw.options(
        "/api/conversations/x/ai-reply",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_each_service_serves_its_openapi_document(platform: Any) -> None:
    config = platform.config
    for port in (config.core_api_port, config.feature_api_port, config.usage_ingestor_port):
        document = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10)
        assert document.status_code == 200
        assert document.json()["openapi"].startswith("3.")


def _sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_a_streamed_reply_crosses_the_gateway_as_events_and_is_metered(
    gw: httpx.Client, admin_headers: dict[str, str]
) -> None:
    workspace_id = gw.post(
        "/api/workspaces", json={"name": "E2E Streaming"}, headers=admin_headers
    ).json()["id"]

    def create_conversation() -> str | None:
        answer = gw.post(
            f"/api/workspaces/{workspace_id}/conversations", json={}, headers=admin_headers
        )
        return str(answer.json()["id"]) if answer.status_code == 201 else None

    conversation_id = eventually(create_conversation, "feature-api knowing the workspace")
    gw.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"content": "Tell me a long story, one word at a time"},
        headers=admin_headers,
    )
    with gw.stream(
        "POST",
        f"/api/conversations/{conversation_id}/ai-reply",
        headers={**admin_headers, "Accept": "text/event-stream"},
        json={"stream": True},
    ) as answer:
        assert answer.is_success
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["x-request-id"]
        events = _sse_events(answer.read().decode())
    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"delta"}
    streamed = "".join(data["content"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert done["message"]["content"] == streamed
    assert not done["usage"]["usage_missing"]

    def summary_with_the_call() -> dict[str, Any] | None:
        body: dict[str, Any] = gw.get(
            f"/api/admin/workspaces/{workspace_id}/usage", headers=admin_headers
        ).json()
        return body if body["totals"]["calls"] >= 1 else None

    totals = eventually(summary_with_the_call, "the streamed call in the usage summary")["totals"]
    assert totals["calls"] == 1
    assert totals["total_tokens"] == done["usage"]["total_tokens"]
