"""Spend on the core side: every new workspace starts on the default tier
(finite AI budget, a model list), admins edit it, and an owner's move to a
paid tier waits until an admin or the signed billing webhook activates it."""

import time
import uuid
from typing import Any

import httpx

from core_api.routes.billing_webhook import SIGNATURE_HEADER, signature_of

SECRET = "whsec-test-only"


async def _free_tier(client: httpx.AsyncClient, admin: Any) -> dict[str, Any]:
    tiers = (await client.get("/api/admin/tiers?limit=200", headers=admin.headers)).json()
    return next(t for t in tiers["items"] if t["code"] == "free")


async def test_a_new_workspace_starts_on_the_free_tier_with_a_finite_budget(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, core_events: Any
) -> None:
    owner = await new_user()
    workspace = await new_workspace(owner)
    assert workspace["tier_code"] == "free"
    limits = workspace["limits"]
    assert isinstance(limits["ai_tokens_monthly"], int) and limits["ai_tokens_monthly"] > 0
    assert limits["models"] == ["gpt-4o-mini"]
    created = await core_events.wait_for(
        lambda e: e["type"] == "workspace.created" and e["subject"] == workspace["id"]
    )
    assert created[0]["data"]["limits"]["models"] == ["gpt-4o-mini"]


async def test_admins_edit_the_free_tier_and_its_workspaces_learn_it(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any
) -> None:
    free = await _free_tier(client, admin)
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    try:
        edited = await client.patch(
            f"/api/admin/tiers/{free['id']}",
            json={"limits": {"ai_tokens_monthly": 1234, "models": ["gpt-4o-mini", "o3-mini"]}},
            headers=admin.headers,
        )
        assert edited.status_code == 200, edited.text
        workspace = (await client.get(f"/api/workspaces/{wid}", headers=owner.headers)).json()
        assert workspace["limits"]["ai_tokens_monthly"] == 1234
        assert workspace["limits"]["models"] == ["gpt-4o-mini", "o3-mini"]
    finally:
        await client.patch(
            f"/api/admin/tiers/{free['id']}",
            json={"limits": free["limits"]},
            headers=admin.headers,
        )


async def _pending_move(
    client: httpx.AsyncClient, admin: Any, owner: Any, wid: str, tier: dict[str, Any]
) -> dict[str, Any]:
    started = await client.post(
        f"/api/workspaces/{wid}/subscriptions", json={"tier_code": "free"}, headers=owner.headers
    )
    assert started.status_code == 201, started.text
    moved = await client.patch(
        f"/api/workspaces/{wid}/subscription",
        json={"tier_code": tier["code"]},
        headers=owner.headers,
    )
    assert moved.status_code == 202, moved.text
    body: dict[str, Any] = moved.json()
    assert body["tier_code"] == "free" and body["pending_tier_code"] == tier["code"]
    workspace = (await client.get(f"/api/workspaces/{wid}", headers=owner.headers)).json()
    assert workspace["tier_code"] == "free"  # nothing paid, nothing changed
    return body


async def test_an_owners_move_to_a_paid_tier_waits_for_an_admin(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, tier: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    sub = await _pending_move(client, admin, owner, wid, tier)
    refused = await client.post(
        f"/api/admin/subscriptions/{sub['id']}/activate-pending", headers=owner.headers
    )
    assert refused.status_code == 403
    done = await client.post(
        f"/api/admin/subscriptions/{sub['id']}/activate-pending", headers=admin.headers
    )
    assert done.status_code == 200 and done.json()["tier_code"] == tier["code"]
    workspace = (await client.get(f"/api/workspaces/{wid}", headers=owner.headers)).json()
    assert workspace["tier_code"] == tier["code"]
    again = await client.post(
        f"/api/admin/subscriptions/{sub['id']}/activate-pending", headers=admin.headers
    )
    assert again.status_code == 409


async def test_the_signed_billing_webhook_activates_a_pending_move(
    client: httpx.AsyncClient,
    core_app: Any,
    admin: Any,
    new_user: Any,
    new_workspace: Any,
    tier: Any,
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    sub = await _pending_move(client, admin, owner, wid, tier)
    body = f'{{"type": "subscription.paid", "subscription_id": "{sub["id"]}"}}'.encode()
    settings = core_app.state.settings
    settings.billing_webhook_secret = SECRET
    try:
        now = int(time.time())
        forged = await client.post(
            "/api/billing/webhook",
            content=body,
            headers={SIGNATURE_HEADER: f"t={now},v1={signature_of('guess', now, body)}"},
        )
        assert forged.status_code == 401
        stale = now - 3600
        replayed = await client.post(
            "/api/billing/webhook",
            content=body,
            headers={SIGNATURE_HEADER: f"t={stale},v1={signature_of(SECRET, stale, body)}"},
        )
        assert replayed.status_code == 401
        paid = await client.post(
            "/api/billing/webhook",
            content=body,
            headers={SIGNATURE_HEADER: f"t={now},v1={signature_of(SECRET, now, body)}"},
        )
        assert paid.status_code == 200, paid.text
        assert paid.json()["tier_code"] == tier["code"]
    finally:
        settings.billing_webhook_secret = ""
    off = await client.post("/api/billing/webhook", content=body)
    assert off.status_code == 404


async def test_a_platform_admin_moves_a_workspace_to_a_paid_tier_at_once(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, tier: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    made = await client.post(
        f"/api/workspaces/{wid}/subscriptions",
        json={"tier_code": tier["code"]},
        headers=admin.headers,
    )
    assert made.status_code == 201 and made.json()["tier_code"] == tier["code"]
    assert made.json()["pending_tier_code"] is None
    assert uuid.UUID(made.json()["id"])


async def test_a_body_over_the_limit_gets_a_413_problem(
    client: httpx.AsyncClient, new_user: Any
) -> None:
    owner = await new_user()
    answer = await client.post(
        "/api/workspaces",
        content=b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}',
        headers={**owner.headers, "content-type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "larger than this service accepts" in answer.json()["detail"]
