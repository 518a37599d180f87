"""Request and AI call rates on real servers, across two feature-api
instances sharing one database: the limit is the platform's, not each
instance's, and the refusal is a 429 with Retry-After."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from feature_api.main import create_app
from feature_api.settings import FeatureSettings

from .conftest import ThreadedApp


@pytest.fixture(scope="module")
def two_instances(feature_settings: FeatureSettings) -> Iterator[list[str]]:
    throttled = feature_settings.model_copy(
        update={
            "rate_limit_requests": 6,
            # An hour's window: the test never straddles two.
            "rate_limit_window_seconds": 3600,
            "ai_calls_per_workspace": 2,
            "projection": False,
            "outbox_relay": False,
        }
    )
    with ThreadedApp(create_app(throttled)) as one, ThreadedApp(create_app(throttled)) as two:
        yield [one.base_url, two.base_url]


def _retry_after(answer: httpx.Response) -> int:
    assert answer.status_code == 429, answer.text
    assert answer.json()["type"].endswith("/too-many-requests")
    return int(answer.headers["Retry-After"])


async def test_a_users_request_rate_holds_across_instances(
    two_instances: list[str], authorize: Any, workspace: Any
) -> None:
    user = workspace.owner
    answers = []
    for n in range(8):
        async with httpx.AsyncClient(base_url=two_instances[n % 2]) as client:
            answers.append(
                await client.get(f"/api/workspaces/{workspace.id}/flows", headers=user.headers)
            )
    assert [a.status_code for a in answers[:6]] == [200] * 6
    assert 1 <= _retry_after(answers[6]) <= 3600 and answers[7].status_code == 429
    # Another user is not held back by the first one's rate.
    async with httpx.AsyncClient(base_url=two_instances[0]) as client:
        other = await client.get("/api/ui-settings", headers=authorize().headers)
        assert other.status_code == 200
        assert (await client.get("/healthz")).status_code == 200


async def test_a_workspaces_ai_call_rate_holds_across_instances(
    two_instances: list[str], make_workspace: Any, authorize: Any
) -> None:
    workspace = await make_workspace()
    url = f"/api/workspaces/{workspace.id}/assistant/chat"
    body = {"messages": [{"role": "user", "content": "hi"}]}
    statuses = []
    for n in range(3):
        async with httpx.AsyncClient(base_url=two_instances[n % 2], timeout=30) as client:
            answer = await client.post(url, json=body, headers=workspace.owner.headers)
            statuses.append(answer.status_code)
    assert statuses[:2] == [201, 201]
    assert _retry_after(answer) >= 1
