"""What core-api was told is usable in feature-api on the very next request."""

import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _user(gw: httpx.Client, name: str) -> tuple[str, dict[str, str]]:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    registered = gw.post(
        "/api/auth/register", json={"email": email, "password": "a-long-password-1", "name": name}
    )
    assert registered.status_code in (200, 201), registered.text
    login = gw.post("/api/auth/login", json={"email": email, "password": "a-long-password-1"})
    assert login.status_code == 200, login.text
    return email, {"Authorization": f"Bearer {login.json()['access_token']}"}


def test_created_added_granted_and_removed_hold_at_once(platform: Any) -> None:
    with httpx.Client(base_url=platform.url, timeout=30) as gw:
        _, owner = _user(gw, "owner")
        member_email, member = _user(gw, "member")
        for attempt in range(3):  # each round with a new workspace: no warm-up helps
            created = gw.post("/api/workspaces", json={"name": f"RYW {attempt}"}, headers=owner)
            assert created.status_code == 201, created.text
            workspace = created.json()["id"]
            first = gw.post(
                f"/api/workspaces/{workspace}/conversations", json={"title": "t"}, headers=owner
            )
            assert first.status_code == 201, first.text

            outsider = gw.get(f"/api/workspaces/{workspace}/conversations", headers=member)
            assert outsider.status_code == 404
            added = gw.post(
                f"/api/workspaces/{workspace}/members",
                json={"email": member_email, "role": "member"},
                headers=owner,
            )
            assert added.status_code == 201, added.text
            listed = gw.get(f"/api/workspaces/{workspace}/conversations", headers=member)
            assert listed.status_code == 200, listed.text
            assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]

            user_id = added.json()["user_id"]
            granted = gw.patch(
                f"/api/workspaces/{workspace}/members/{user_id}",
                json={"role": "admin"},
                headers=owner,
            )
            assert granted.status_code == 200, granted.text
            removed = gw.delete(f"/api/workspaces/{workspace}/members/{user_id}", headers=owner)
            assert removed.status_code == 204, removed.text
            gone = gw.get(f"/api/workspaces/{workspace}/conversations", headers=member)
            assert gone.status_code == 404, gone.text


def test_an_unknown_workspace_is_not_found_promptly(platform: Any) -> None:
    with httpx.Client(base_url=platform.url, timeout=30) as gw:
        _, user = _user(gw, "stranger")
        answer = gw.get(f"/api/workspaces/{uuid.uuid4()}/conversations", headers=user)
    assert answer.status_code == 404
    # nothing is in flight for it: no waiting out the bounded wait
    assert answer.elapsed.total_seconds() < 1.5
