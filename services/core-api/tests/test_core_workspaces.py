"""Workspaces and members through the API, with the events they publish."""

import asyncio
import uuid
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendfx_shared.postgres import connect


async def test_create_workspace_makes_the_caller_owner_and_publishes_it(
    client: httpx.AsyncClient, new_user: Any, core_events: Any
) -> None:
    owner = await new_user("owner")
    response = await client.post(
        "/api/workspaces",
        json={"name": "Acme Inc", "slug": f"acme-{uuid.uuid4().hex[:6]}"},
        headers=owner.headers,
    )
    assert response.status_code == 201
    workspace = response.json()
    assert workspace["role"] == "owner" and workspace["owner_id"] == str(owner.id)

    members = await client.get(f"/api/workspaces/{workspace['id']}/members", headers=owner.headers)
    assert members.json()["items"][0]["role"] == "owner"
    assert members.json()["next_cursor"] is None

    events = await core_events.wait_for(lambda e: e.get("subject") == workspace["id"], count=2)
    assert [e["type"] for e in events] == ["workspace.created", "workspace_member.added"]
    assert events[0]["source"] == "/sendfx/core-api"
    assert events[0]["data"]["slug"] == workspace["slug"]
    assert events[1]["data"] == {
        "workspace_id": workspace["id"],
        "user_id": str(owner.id),
        "role": "owner",
        "version": 1,
    }
    assert core_events.with_key(workspace["id"])[:2] == events


async def test_a_taken_slug_is_409(client: httpx.AsyncClient, new_user: Any) -> None:
    owner = await new_user()
    slug = f"taken-{uuid.uuid4().hex[:6]}"
    first = await client.post(
        "/api/workspaces", json={"name": "A", "slug": slug}, headers=owner.headers
    )
    second = await client.post(
        "/api/workspaces", json={"name": "B", "slug": slug}, headers=owner.headers
    )
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["type"].endswith("/conflict")


async def test_list_my_workspaces_is_paginated(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any
) -> None:
    owner = await new_user()
    created = {(await new_workspace(owner, f"W{i}"))["id"] for i in range(5)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/workspaces", params=params, headers=owner.headers)).json()
        seen += [w["id"] for w in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == created


async def test_a_bad_cursor_is_400(client: httpx.AsyncClient, new_user: Any) -> None:
    owner = await new_user()
    response = await client.get("/api/workspaces", params={"cursor": "!!"}, headers=owner.headers)
    assert response.status_code == 400


async def test_rename_publishes_workspace_updated_with_a_higher_version(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, core_events: Any
) -> None:
    owner = await new_user()
    workspace = await new_workspace(owner)
    response = await client.patch(
        f"/api/workspaces/{workspace['id']}", json={"name": "Renamed"}, headers=owner.headers
    )
    assert response.status_code == 200 and response.json()["name"] == "Renamed"
    updated = await core_events.wait_for(
        lambda e: e["type"] == "workspace.updated" and e["subject"] == workspace["id"]
    )
    assert updated[0]["data"]["name"] == "Renamed"
    assert updated[0]["data"]["version"] > workspace["version"]


async def test_delete_workspace_by_owner_only(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, core_events: Any, add_member: Any
) -> None:
    owner, admin_member = await new_user(), await new_user()
    workspace = await new_workspace(owner)
    wid = workspace["id"]
    await add_member(owner, wid, admin_member, "admin")
    refused = await client.delete(f"/api/workspaces/{wid}", headers=admin_member.headers)
    assert refused.status_code == 403
    deleted = await client.delete(f"/api/workspaces/{wid}", headers=owner.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/workspaces/{wid}", headers=owner.headers)).status_code == 404
    assert await core_events.wait_for(
        lambda e: e["type"] == "workspace.deleted" and e["subject"] == wid
    )


async def test_member_lifecycle_add_change_role_remove(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, core_events: Any
) -> None:
    owner, bob = await new_user("owner"), await new_user("bob")
    wid = (await new_workspace(owner))["id"]
    added = await client.post(
        f"/api/workspaces/{wid}/members", json={"email": bob.email.upper()}, headers=owner.headers
    )
    assert added.status_code == 201 and added.json()["role"] == "member"
    again = await client.post(
        f"/api/workspaces/{wid}/members", json={"email": bob.email}, headers=owner.headers
    )
    assert again.status_code == 409

    # bob now sees the workspace, as a member
    seen = await client.get(f"/api/workspaces/{wid}", headers=bob.headers)
    assert seen.status_code == 200 and seen.json()["role"] == "member"
    # ... but a member cannot manage members
    refused = await client.post(
        f"/api/workspaces/{wid}/members", json={"email": owner.email}, headers=bob.headers
    )
    assert refused.status_code == 403

    promoted = await client.patch(
        f"/api/workspaces/{wid}/members/{bob.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert promoted.json()["role"] == "admin"
    removed = await client.delete(f"/api/workspaces/{wid}/members/{bob.id}", headers=owner.headers)
    assert removed.status_code == 204
    assert (await client.get(f"/api/workspaces/{wid}", headers=bob.headers)).status_code == 404

    types = [
        e["type"]
        for e in await core_events.wait_for(
            lambda e: e["type"].startswith("workspace_member.") and e["subject"] == wid, count=4
        )
    ]
    assert types == [
        "workspace_member.added",
        "workspace_member.added",
        "workspace_member.role_changed",
        "workspace_member.removed",
    ]


async def test_adding_an_unknown_email_is_404_user(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    response = await client.post(
        f"/api/workspaces/{wid}/members",
        json={"email": "nobody-here@example.com"},
        headers=owner.headers,
    )
    assert response.status_code == 404 and response.json()["detail"] == "user not found"


async def test_the_owner_cannot_leave_or_be_removed_or_demoted(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, add_member: Any
) -> None:
    owner, admin_member = await new_user(), await new_user()
    wid = (await new_workspace(owner))["id"]
    await add_member(owner, wid, admin_member, "admin")
    leave = await client.delete(f"/api/workspaces/{wid}/members/{owner.id}", headers=owner.headers)
    removed = await client.delete(
        f"/api/workspaces/{wid}/members/{owner.id}", headers=admin_member.headers
    )
    demoted = await client.patch(
        f"/api/workspaces/{wid}/members/{owner.id}",
        json={"role": "member"},
        headers=owner.headers,
    )
    assert leave.status_code == removed.status_code == demoted.status_code == 409
    assert "owner" in leave.json()["detail"]


async def test_ownership_transfer_demotes_the_previous_owner(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, add_member: Any
) -> None:
    owner, heir = await new_user(), await new_user()
    wid = (await new_workspace(owner))["id"]
    await add_member(owner, wid, heir)
    moved = await client.patch(
        f"/api/workspaces/{wid}/members/{heir.id}", json={"role": "owner"}, headers=owner.headers
    )
    assert moved.status_code == 200 and moved.json()["role"] == "owner"
    roles = {
        m["user_id"]: m["role"]
        for m in (await client.get(f"/api/workspaces/{wid}/members", headers=heir.headers)).json()[
            "items"
        ]
    }
    assert roles == {str(owner.id): "admin", str(heir.id): "owner"}
    workspace = (await client.get(f"/api/workspaces/{wid}", headers=heir.headers)).json()
    assert workspace["owner_id"] == str(heir.id)
    # the former owner may now leave
    left = await client.delete(f"/api/workspaces/{wid}/members/{owner.id}", headers=owner.headers)
    assert left.status_code == 204


async def test_an_admin_member_cannot_take_ownership(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, add_member: Any
) -> None:
    owner, admin_member = await new_user(), await new_user()
    wid = (await new_workspace(owner))["id"]
    await add_member(owner, wid, admin_member, "admin")
    response = await client.patch(
        f"/api/workspaces/{wid}/members/{admin_member.id}",
        json={"role": "owner"},
        headers=admin_member.headers,
    )
    assert response.status_code == 403


async def test_concurrent_membership_changes_never_leave_a_workspace_without_one_owner(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any, postgres_url: str
) -> None:
    owner = await new_user("owner")
    others = [await new_user(f"m{i}") for i in range(4)]
    wid = (await new_workspace(owner))["id"]
    for other in others:
        await client.post(
            f"/api/workspaces/{wid}/members",
            json={"email": other.email, "role": "admin"},
            headers=owner.headers,
        )
    everyone = [owner, *others]
    for _ in range(3):
        # Every member at once: hand ownership to someone, remove someone, leave.
        calls = []
        for i, actor in enumerate(everyone):
            target = everyone[(i + 1) % len(everyone)]
            calls.append(
                client.patch(
                    f"/api/workspaces/{wid}/members/{target.id}",
                    json={"role": "owner"},
                    headers=actor.headers,
                )
            )
            calls.append(
                client.delete(f"/api/workspaces/{wid}/members/{actor.id}", headers=actor.headers)
            )
            calls.append(
                client.patch(
                    f"/api/workspaces/{wid}/members/{actor.id}",
                    json={"role": "member"},
                    headers=owner.headers,
                )
            )
        responses = await asyncio.gather(*calls)
        assert all(r.status_code < 500 for r in responses)
        conn = await connect(postgres_url)
        try:
            owners = await conn.fetch(
                "SELECT user_id FROM core.workspace_members"
                " WHERE workspace_id = $1 AND role = 'owner'",
                uuid.UUID(wid),
            )
            owner_id = await conn.fetchval(
                "SELECT owner_id FROM core.workspaces WHERE id = $1", uuid.UUID(wid)
            )
        finally:
            await conn.close()
        assert len(owners) == 1
        assert owners[0]["user_id"] == owner_id
        # put everyone back for the next round
        current = next(a for a in everyone if a.id == owner_id)
        for actor in everyone:
            await client.post(
                f"/api/workspaces/{wid}/members",
                json={"email": actor.email, "role": "admin"},
                headers=current.headers,
            )


async def test_read_one_member_and_admin_reads_of_a_workspace_and_tier(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, tier: Any
) -> None:
    owner = await new_user("owner")
    wid = (await new_workspace(owner, "Readable"))["id"]
    member = await client.get(f"/api/workspaces/{wid}/members/{owner.id}", headers=owner.headers)
    assert member.status_code == 200 and member.json()["role"] == "owner"
    assert member.json()["email"] == owner.email
    missing = await client.get(
        f"/api/workspaces/{wid}/members/{uuid.uuid4()}", headers=owner.headers
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "member not found"
    as_admin = await client.get(f"/api/admin/workspaces/{wid}", headers=admin.headers)
    assert as_admin.status_code == 200 and as_admin.json()["name"] == "Readable"
    one_tier = await client.get(f"/api/admin/tiers/{tier['id']}", headers=admin.headers)
    assert one_tier.json()["code"] == tier["code"]


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(max_size=60), slug=st.none() | st.text(max_size=20))
async def test_any_workspace_name_is_kept_exactly_or_refused_with_422(
    client: httpx.AsyncClient, new_user: Any, name: str, slug: str | None
) -> None:
    owner = await _fuzz_owner(new_user)
    body = {"name": name} | ({"slug": slug} if slug is not None else {})
    response = await client.post("/api/workspaces", json=body, headers=owner.headers)
    assert response.status_code in (201, 409, 422), response.text
    if response.status_code == 201:
        got = await client.get(f"/api/workspaces/{response.json()['id']}", headers=owner.headers)
        assert got.json()["name"] == name


_owners: list[Any] = []


async def _fuzz_owner(new_user: Any) -> Any:
    # one user for every example: registering hashes a password (slow on purpose)
    if not _owners:
        _owners.append(await new_user("fuzz"))
    return _owners[0]
