"""The real nginx, configured from deploy/nginx/ and started by the runner,
in front of a stub core-api and a feature-api port with nobody behind it."""

import re
from typing import Any

import httpx
import pytest

from sendfx_dev.servers import pid_alive

pytestmark = pytest.mark.e2e

ALLOWED = "http://localhost:3000"


@pytest.fixture(scope="module")
def client(gateway_with_stub_upstreams: Any) -> httpx.Client:
    return httpx.Client(base_url=gateway_with_stub_upstreams.url, timeout=10)


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/login",
        "/api/workspaces",
        "/api/admin/workspaces/w1/usage-counters",
        "/api/users/me",
    ],
)
def test_core_paths_reach_core_api_unchanged(client: httpx.Client, path: str) -> None:
    answer = client.post(f"{path}?x=1", json={"a": 1})
    assert answer.status_code == 200
    assert answer.json()["service"] == "core-api"
    assert answer.json()["path"] == f"{path}?x=1"
    assert answer.json()["method"] == "POST"


@pytest.mark.parametrize(
    "path",
    [
        "/api/admin/workspaces/w1/usage",
        "/api/admin/workspaces/w1/usage/calls",
        "/api/admin/usage/reprice",
    ],
)
def test_usage_paths_reach_the_usage_ingestor_unchanged(client: httpx.Client, path: str) -> None:
    answer = client.post(f"{path}?tz=Asia/Kolkata", json={"a": 1})
    assert answer.status_code == 200
    assert answer.json()["service"] == "usage-ingestor"
    assert answer.json()["path"] == f"{path}?tz=Asia/Kolkata"


@pytest.mark.parametrize(
    "path",
    [
        "/api/conversations/c1/ai-reply",
        "/api/workspaces/w1/conversations",
        "/api/admin/ui-settings",
        "/api/ui-settings",
    ],
)
def test_feature_paths_go_to_feature_api_and_a_dead_one_is_a_problem(
    client: httpx.Client, path: str
) -> None:
    answer = client.post(path, json={})
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 502
    assert problem["title"] == "Bad Gateway"
    assert answer.headers["x-request-id"]


def test_a_callers_request_id_is_passed_through_and_returned_once(client: httpx.Client) -> None:
    answer = client.get("/api/auth/me", headers={"X-Request-ID": "trace-123"})
    assert answer.json()["request_id"] == "trace-123"
    assert answer.headers.get_list("x-request-id") == ["trace-123"]


def test_a_request_without_an_id_gets_one_that_the_service_sees(client: httpx.Client) -> None:
    first = client.get("/api/auth/me")
    second = client.get("/api/auth/me")
    minted = first.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", minted)
    assert first.json()["request_id"] == minted
    assert second.headers["x-request-id"] != minted


def test_a_preflight_from_an_allowed_origin_is_answered_by_the_gateway(
    client: httpx.Client,
) -> None:
    answer = client.options(
        "/api/workspaces",
        headers={
            "Origin": ALLOWED,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "authorization" in answer.headers["access-control-allow-headers"]
    assert answer.headers["access-control-allow-credentials"] == "true"


def test_a_preflight_from_another_origin_gets_no_permission(client: httpx.Client) -> None:
    answer = client.options(
        "/api/workspaces",
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-methods" not in answer.headers


def test_a_simple_request_from_an_allowed_origin_may_read_the_answer(
    client: httpx.Client,
) -> None:
    answer = client.get("/api/auth/me", headers={"Origin": "http://127.0.0.1:3000"})
    assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert "X-Request-ID" in answer.headers["access-control-expose-headers"]
    assert "access-control-allow-methods" not in answer.headers


def test_paths_outside_api_are_a_problem_not_a_page(client: httpx.Client) -> None:
    answer = client.get("/index.html")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.get("/healthz").json()["status"] == "ok"


def test_up_again_reuses_the_running_gateway(gateway_with_stub_upstreams: Any) -> None:
    stack = gateway_with_stub_upstreams.stack
    before = stack.read_record("gateway")
    (result,) = stack.up(only=["gateway"])
    assert result.outcome == "reused"
    assert stack.read_record("gateway").pid == before.pid
    assert pid_alive(before.pid)


def test_up_reloads_a_running_gateway_when_its_settings_change(
    gateway_with_stub_upstreams: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A new CORS origin (or port) takes effect on the next `up`, same nginx."""
    from dataclasses import replace

    from sendfx_dev.ports import free_port
    from sendfx_dev.stack import Stack

    first = replace(
        gateway_with_stub_upstreams.stack.config,
        state_dir=tmp_path_factory.mktemp("reload-state"),
        gateway_port=free_port(),
    )
    stack = Stack(first, say=lambda _: None, tied_to_caller=True)
    stack.up(only=["gateway"])
    try:
        record = stack.read_record("gateway")
        assert record is not None and record.pid is not None
        pid = record.pid
        preflight = {"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
        before = httpx.options(f"{first.gateway_url}/api/auth/me", headers=preflight)
        assert "access-control-allow-origin" not in before.headers

        stack.config = replace(first, cors_origins="https://app.example", gateway_port=free_port())
        (result,) = stack.up(only=["gateway"])
        assert result.outcome == "reloaded"
        reloaded = stack.read_record("gateway")
        assert reloaded is not None and reloaded.pid == pid
        after = httpx.options(f"{stack.config.gateway_url}/api/auth/me", headers=preflight)
        assert after.headers["access-control-allow-origin"] == "https://app.example"
        (again,) = stack.up(only=["gateway"])
        assert again.outcome == "reused"
    finally:
        stack.down()
    assert not pid_alive(pid)
