"""Tiers (admin), billing accounts and subscriptions."""

import uuid
from typing import Any

import httpx

from sendfx_shared.postgres import connect


async def test_admin_creates_lists_and_updates_tiers(
    client: httpx.AsyncClient, admin: Any, new_user: Any, core_events: Any
) -> None:
    code = f"team-{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/tiers",
        json={
            "code": code,
            "name": "Team",
            "price_monthly": "19.99",
            "limits": {"ai_tokens_monthly": 500000, "flows": 5, "members": 3},
        },
        headers=admin.headers,
    )
    assert created.status_code == 201
    tier = created.json()
    assert tier["price_monthly"] == 19.99  # money is a JSON number
    assert tier["limits"] == {
        "ai_tokens_monthly": 500000,
        "flows": 5,
        "members": 3,
        "models": None,
    }
    dup = await client.post(
        "/api/admin/tiers", json={"code": code, "name": "Again"}, headers=admin.headers
    )
    assert dup.status_code == 409

    patched = await client.patch(
        f"/api/admin/tiers/{tier['id']}", json={"limits": {"members": 4}}, headers=admin.headers
    )
    assert patched.json()["limits"]["members"] == 4
    assert patched.json()["limits"]["flows"] == 5

    user = await new_user()
    visible = (await client.get("/api/tiers", params={"limit": 200}, headers=user.headers)).json()
    assert code in {t["code"] for t in visible["items"]}
    forbidden = await client.post(
        "/api/admin/tiers", json={"code": "x", "name": "X"}, headers=user.headers
    )
    assert forbidden.status_code == 403
    assert await core_events.wait_for(
        lambda e: e["type"] == "tier.updated" and e["data"]["code"] == code
    )


async def test_billing_account_put_creates_then_replaces(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    url = f"/api/workspaces/{wid}/billing-account"
    assert (await client.get(url, headers=owner.headers)).status_code == 404
    first = await client.put(
        url, json={"email": "billing@acme.test", "country": "DE"}, headers=owner.headers
    )
    assert first.status_code == 201
    second = await client.put(
        url, json={"email": "ap@acme.test", "country": "FR"}, headers=owner.headers
    )
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    got = (await client.get(url, headers=owner.headers)).json()
    assert got["country"] == "FR"
    bad = await client.put(url, json={"country": "germany"}, headers=owner.headers)
    assert bad.status_code == 422


async def test_subscription_create_change_cancel(
    client: httpx.AsyncClient,
    admin: Any,
    new_user: Any,
    new_workspace: Any,
    tier: Any,
    core_events: Any,
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    created = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    assert created.status_code == 201
    sub = created.json()
    # A paid tier waits for an admin (or the billing webhook).
    assert sub["tier_code"] == "free" and sub["pending_tier_code"] == tier["code"]
    activated = await client.post(
        f"/api/admin/subscriptions/{sub['id']}/activate-pending", headers=admin.headers
    )
    assert activated.status_code == 200, activated.text
    sub = activated.json()
    assert sub["status"] == "active" and sub["tier_code"] == tier["code"]
    assert sub["pending_tier_code"] is None
    workspace = (await client.get(f"/api/workspaces/{wid}", headers=owner.headers)).json()
    assert workspace["tier_code"] == tier["code"]
    assert workspace["limits"]["members"] == 10

    second = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    assert second.status_code == 409

    other_code = f"max-{uuid.uuid4().hex[:6]}"
    await client.post(
        "/api/admin/tiers",
        json={"code": other_code, "name": "Max", "limits": {"members": 50}},
        headers=admin.headers,
    )
    changed = await client.patch(
        f"/api/workspaces/{wid}/subscription", json={"tier_code": other_code}, headers=owner.headers
    )
    assert changed.status_code == 200 and changed.json()["tier_code"] == other_code

    canceled = await client.post(
        f"/api/workspaces/{wid}/subscription/cancel", headers=owner.headers
    )
    assert canceled.json()["cancel_at_period_end"] is True
    assert canceled.json()["status"] == "active"  # live until the period ends

    types = [
        e["type"]
        for e in await core_events.wait_for(
            lambda e: e["type"].startswith("subscription.") and e["subject"] == wid, count=4
        )
    ]
    assert types == [
        "subscription.created",
        "subscription.changed",
        "subscription.changed",
        "subscription.canceled",
    ]
    changed_event = core_events.of_type("subscription.changed")
    assert any(
        e["data"]["tier_code"] == other_code and e["data"]["limits"]["members"] == 50
        for e in changed_event
    )
    tiered = await core_events.wait_for(
        lambda e: (
            e["type"] == "workspace.updated"
            and e["subject"] == wid
            and e["data"]["tier_code"] == other_code
        )
    )
    assert tiered[0]["data"]["limits"]["members"] == 50


async def test_admin_cancels_then_workspace_can_subscribe_again(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, tier: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    sub = (
        await client.post(
            f"/api/workspaces/{wid}/subscriptions",
            json={"tier_code": tier["code"], "trial": True},
            headers=owner.headers,
        )
    ).json()
    assert sub["status"] == "trialing"
    closed = await client.patch(
        f"/api/admin/subscriptions/{sub['id']}", json={"status": "canceled"}, headers=admin.headers
    )
    assert closed.json()["status"] == "canceled"
    assert (
        await client.get(f"/api/workspaces/{wid}/subscription", headers=owner.headers)
    ).status_code == 404
    again = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    assert again.status_code == 201
    history = (
        await client.get(f"/api/workspaces/{wid}/subscriptions", headers=owner.headers)
    ).json()["items"]
    assert [s["status"] for s in history] == ["canceled", "active"]
    listed = (
        await client.get(
            "/api/admin/subscriptions", params={"workspace_id": wid}, headers=admin.headers
        )
    ).json()["items"]
    assert len(listed) == 2


async def test_subscribing_to_an_unknown_tier_is_404(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    response = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": "no-such-tier"},
        headers=owner.headers,
    )
    assert response.status_code == 404 and response.json()["detail"] == "tier not found"


async def test_the_tier_member_limit_is_enforced(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any
) -> None:
    code = f"solo-{uuid.uuid4().hex[:6]}"
    await client.post(
        "/api/admin/tiers",
        json={"code": code, "name": "Solo", "limits": {"members": 1}},
        headers=admin.headers,
    )
    owner, friend = await new_user(), await new_user()
    wid = (await new_workspace(owner))["id"]
    await client.post(
        f"/api/workspaces/{wid}/subscriptions", json={"tier_code": code}, headers=owner.headers
    )
    response = await client.post(
        f"/api/workspaces/{wid}/members", json={"email": friend.email}, headers=owner.headers
    )
    assert response.status_code == 409 and "1 members" in response.json()["detail"]


async def test_a_tier_in_use_cannot_be_deleted_an_unused_one_can(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, tier: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    in_use = await client.delete(f"/api/admin/tiers/{tier['id']}", headers=admin.headers)
    assert in_use.status_code == 409
    spare = (
        await client.post(
            "/api/admin/tiers",
            json={"code": f"spare-{uuid.uuid4().hex[:6]}", "name": "Spare"},
            headers=admin.headers,
        )
    ).json()
    gone = await client.delete(f"/api/admin/tiers/{spare['id']}", headers=admin.headers)
    assert gone.status_code == 204
    again = await client.get(f"/api/admin/tiers/{spare['id']}", headers=admin.headers)
    assert again.status_code == 404


async def test_a_subscription_canceled_at_period_end_closes_when_the_workspace_resubscribes(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, tier: Any, postgres_url: str
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    first = (
        await client.post(
            f"/api/workspaces/{wid}/subscriptions",
            json={"tier_code": tier["code"]},
            headers=owner.headers,
        )
    ).json()
    await client.post(f"/api/workspaces/{wid}/subscription/cancel", headers=owner.headers)
    early = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    assert early.status_code == 409  # still live until its period ends
    conn = await connect(postgres_url)
    try:  # the period ends
        await conn.execute(
            "UPDATE core.subscriptions SET current_period_start = now() - interval '31 days',"
            " current_period_end = now() - interval '1 day' WHERE id = $1",
            uuid.UUID(first["id"]),
        )
    finally:
        await conn.close()
    renewed = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    assert renewed.status_code == 201
    history = (
        await client.get(f"/api/workspaces/{wid}/subscriptions", headers=owner.headers)
    ).json()["items"]
    assert [(s["id"] == first["id"], s["status"]) for s in history] == [
        (True, "canceled"),
        (False, "active"),
    ]
