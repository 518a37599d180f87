"""Tokens across the real processes, through the gateway: feature-api
verifies core-api's tokens with the JWKS it fetched, and a user core-api
deactivates is refused by both services on the next request."""

import time
import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gw(platform: Any) -> httpx.Client:
    return httpx.Client(base_url=platform.url, timeout=60)


def test_a_deactivated_user_is_refused_by_core_api_and_feature_api(
    platform: Any, gw: httpx.Client
) -> None:
    admin = gw.post(
        "/api/auth/login",
        json={"email": platform.admin_email, "password": platform.admin_password},
    ).json()
    admin_headers = {"Authorization": f"Bearer {admin['access_token']}"}
    email = f"e2e-revoked-{uuid.uuid4().hex[:8]}@example.com"
    user_id = gw.post(
        "/api/auth/register", json={"email": email, "password": "a-long-password-1"}
    ).json()["id"]
    tokens = gw.post("/api/auth/login", json={"email": email, "password": "a-long-password-1"})
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    workspace = gw.post("/api/workspaces", json={"name": "Revoked"}, headers=headers).json()
    flows = f"/api/workspaces/{workspace['id']}/flows"
    assert gw.get(flows, headers=headers).status_code == 200  # feature-api took the token

    off = gw.patch(f"/api/admin/users/{user_id}", json={"is_active": False}, headers=admin_headers)
    assert off.status_code == 200
    started = time.monotonic()
    assert gw.get("/api/auth/me", headers=headers).status_code == 401
    assert gw.get(flows, headers=headers).status_code == 401
    assert time.monotonic() - started < 2.0
    refreshed = gw.post("/api/auth/refresh", json={"refresh_token": tokens.json()["refresh_token"]})
    assert refreshed.status_code == 401
