"""The gateway's first line: a flood from one address gets 429 problems with
Retry-After from nginx itself, health checks are never counted, and the
budget refills."""

import time
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_a_flood_from_one_address_gets_429_with_retry_after(
    gateway_with_stub_upstreams: Any,
) -> None:
    with httpx.Client(base_url=gateway_with_stub_upstreams.url, timeout=10) as client:
        answers = [client.get("/api/workspaces") for _ in range(450)]
        refused = [a for a in answers if a.status_code == 429]
        assert refused, "450 requests in a burst were all let through"
        assert all(a.status_code in (200, 429) for a in answers)
        first = refused[0]
        assert first.headers["content-type"] == "application/problem+json"
        assert int(first.headers["Retry-After"]) >= 1
        assert first.json()["status"] == 429
        assert client.get("/healthz").status_code == 200  # never throttled
        time.sleep(3)  # the bucket refills (and later tests start afresh)
        assert client.get("/api/workspaces").status_code == 200
