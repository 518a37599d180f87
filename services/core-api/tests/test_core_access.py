"""Every route's auth failures, found from the app's own route table so a new
route cannot be forgotten: no token → 401; a non-admin on /api/admin → 403;
a member of workspace A on any route of workspace B → 404, as for a
workspace that does not exist."""

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

# Public: a refresh or logout is authorised by its refresh token (test_core_tokens.py).
PUBLIC = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/jwks"),
    ("GET", "/healthz"),
    # Signed with the billing provider's shared secret, not a user token.
    ("POST", "/api/billing/webhook"),
}

# A valid body per (method, path template), so that only authorisation decides.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/workspaces"): {"name": "X"},
    ("PATCH", "/api/workspaces/{workspace_id}"): {"name": "Y"},
    ("POST", "/api/workspaces/{workspace_id}/members"): {"email": "someone@example.com"},
    ("PATCH", "/api/workspaces/{workspace_id}/members/{user_id}"): {"role": "admin"},
    ("PUT", "/api/workspaces/{workspace_id}/billing-account"): {"country": "DE"},
    ("POST", "/api/workspaces/{workspace_id}/subscriptions"): {"tier_code": "free"},
    ("PATCH", "/api/workspaces/{workspace_id}/subscription"): {"tier_code": "free"},
    ("PATCH", "/api/auth/me"): {"name": "Z"},
    ("POST", "/api/admin/users"): {"email": "u@example.com", "password": "long enough pw"},
    ("PATCH", "/api/admin/users/{user_id}"): {"name": "Q"},
    ("POST", "/api/admin/tiers"): {"code": "c", "name": "C"},
    ("PATCH", "/api/admin/tiers/{tier_id}"): {"name": "C"},
    ("PATCH", "/api/admin/subscriptions/{subscription_id}"): {"status": "active"},
    ("POST", "/api/admin/model-prices"): {
        "model": "m",
        "effective_from": "2026-01-01",
        "input_per_mtok": 1,
        "cached_input_per_mtok": 1,
        "output_per_mtok": 1,
    },
}


def api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every operation the OpenAPI document publishes."""
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]


def fill(path: str, **values: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), path)


async def call(
    client: httpx.AsyncClient, method: str, path: str, url: str, headers: dict[str, str]
) -> httpx.Response:
    body = BODIES.get((method, path))
    return await client.request(method, url, json=body, headers=headers)


async def test_every_route_but_the_public_ones_needs_a_token(
    client: httpx.AsyncClient, core_app: FastAPI
) -> None:
    checked = 0
    for method, path in api_routes(core_app):
        if (method, path) in PUBLIC:
            continue
        response = await call(client, method, path, fill(path), {})
        assert response.status_code == 401, (method, path, response.text)
        checked += 1
    assert checked > 30


async def test_admin_routes_refuse_a_plain_user(
    client: httpx.AsyncClient, core_app: FastAPI, new_user: Any
) -> None:
    user = await new_user()
    admin_routes = [(m, p) for m, p in api_routes(core_app) if p.startswith("/api/admin/")]
    assert len(admin_routes) >= 15
    for method, path in admin_routes:
        response = await call(client, method, path, fill(path), user.headers)
        assert response.status_code == 403, (method, path, response.text)


async def test_a_member_of_a_gets_404_on_every_route_of_b(
    client: httpx.AsyncClient, core_app: FastAPI, new_user: Any, new_workspace: Any
) -> None:
    alice, bob = await new_user("alice"), await new_user("bob")
    await new_workspace(alice, "A")
    workspace_b = await new_workspace(bob, "B")
    routes = [
        (m, p)
        for m, p in api_routes(core_app)
        if "{workspace_id}" in p and not p.startswith("/api/admin/")
    ]
    assert len(routes) >= 14
    for target in (workspace_b["id"], str(uuid.uuid4())):
        for method, path in routes:
            url = fill(path, workspace_id=target, user_id=str(bob.id))
            response = await call(client, method, path, url, alice.headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["detail"] == "workspace not found"
    # and B is untouched
    still = await client.get(f"/api/workspaces/{workspace_b['id']}", headers=bob.headers)
    assert still.status_code == 200 and still.json()["name"] == "B"


@pytest.mark.parametrize("path", ["/api/admin/workspaces", "/api/admin/users"])
async def test_platform_admin_lists_everything(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, path: str
) -> None:
    # Two of each, so that a page of one has a next page whatever ran before.
    for _ in range(2):
        await new_workspace(await new_user())
    response = await client.get(path, params={"limit": 1}, headers=admin.headers)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1 and response.json()["next_cursor"]


async def test_platform_admin_may_act_on_any_workspace(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any
) -> None:
    owner, newcomer = await new_user(), await new_user()
    wid = (await new_workspace(owner))["id"]
    got = await client.get(f"/api/workspaces/{wid}", headers=admin.headers)
    assert got.status_code == 200 and got.json()["role"] is None
    added = await client.post(
        f"/api/workspaces/{wid}/members", json={"email": newcomer.email}, headers=admin.headers
    )
    assert added.status_code == 201
    listed = await client.get(f"/api/admin/workspaces/{wid}/members", headers=admin.headers)
    assert {m["user_id"] for m in listed.json()["items"]} == {str(owner.id), str(newcomer.id)}
    await client.put(
        f"/api/workspaces/{wid}/billing-account", json={"country": "NL"}, headers=owner.headers
    )
    billing = await client.get(
        f"/api/admin/workspaces/{wid}/billing-account", headers=admin.headers
    )
    assert billing.json()["country"] == "NL"


async def test_admin_manages_users(client: httpx.AsyncClient, admin: Any, log_in: Any) -> None:
    email = f"made-{uuid.uuid4().hex[:6]}@example.com"
    made = await client.post(
        "/api/admin/users",
        json={"email": email, "password": "long enough pw", "role": "admin"},
        headers=admin.headers,
    )
    assert made.status_code == 201 and made.json()["role"] == "admin"
    uid = made.json()["id"]
    off = await client.patch(
        f"/api/admin/users/{uid}", json={"is_active": False}, headers=admin.headers
    )
    assert off.json()["is_active"] is False
    refused = await client.post(
        "/api/auth/login", json={"email": email, "password": "long enough pw"}
    )
    assert refused.status_code == 401
    assert (await client.get(f"/api/admin/users/{uid}", headers=admin.headers)).status_code == 200
    missing = await client.get(f"/api/admin/users/{uuid.uuid4()}", headers=admin.headers)
    assert missing.status_code == 404


async def test_platform_admin_finds_workspaces_by_name_or_slug(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any
) -> None:
    """The console's search box: a substring of the name or the slug, and the
    caller's % and _ are literal characters, not wildcards."""
    owner = await new_user()
    tag = uuid.uuid4().hex[:8]
    found = await new_workspace(owner, name=f"Acme {tag} 50%_off")
    await new_workspace(owner, name=f"Other {tag}")
    for q in (f"acme {tag}", "50%_off", found["slug"]):
        response = await client.get("/api/admin/workspaces", params={"q": q}, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert [w["id"] for w in response.json()["items"]] == [found["id"]], q
    nothing = await client.get("/api/admin/workspaces", params={"q": "%"}, headers=admin.headers)
    assert all("%" in w["name"] for w in nothing.json()["items"])
