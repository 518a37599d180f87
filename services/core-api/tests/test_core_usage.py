"""The AI usage summary (from core.usage_daily), usage counters, model prices."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from sendfx_shared.postgres import connect


async def _rollup(postgres_url: str, workspace_id: str, rows: list[tuple[Any, ...]]) -> None:
    conn = await connect(postgres_url)
    try:
        await conn.executemany(
            """INSERT INTO core.usage_daily (workspace_id, day, model, service, calls,
                 prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens,
                 total_tokens, cost_usd, unpriced_calls, usage_missing_calls)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            [(uuid.UUID(workspace_id), *row) for row in rows],
        )
    finally:
        await conn.close()


async def test_usage_summary_totals_and_breakdowns(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, postgres_url: str
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    await _rollup(
        postgres_url,
        wid,
        [
            (
                date(2026, 10, 1),
                "gpt-4o-mini",
                "ai_reply",
                2,
                100,
                50,
                20,
                0,
                120,
                Decimal("0.0015"),
                0,
                0,
            ),
            (date(2026, 10, 1), "gpt-4o", "assistant", 1, 10, 0, 5, 0, 15, Decimal("0.25"), 0, 1),
            (
                date(2026, 10, 2),
                "gpt-4o-mini",
                "ai_agent",
                3,
                300,
                0,
                30,
                10,
                330,
                Decimal("0"),
                3,
                0,
            ),
            (date(2026, 11, 1), "gpt-4o", "ai_reply", 9, 9, 9, 9, 9, 18, Decimal("9"), 0, 0),
        ],
    )
    response = await client.get(
        f"/api/admin/workspaces/{wid}/usage",
        params={"from": "2026-10-01", "to": "2026-10-31"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["from"] == "2026-10-01" and body["to"] == "2026-10-31"
    assert body["totals"] == {
        "calls": 6,
        "prompt_tokens": 410,
        "cached_tokens": 50,
        "completion_tokens": 55,
        "reasoning_tokens": 10,
        "total_tokens": 465,
        "cost_usd": 0.2515,
        "unpriced_calls": 3,
        "usage_missing_calls": 1,
    }
    assert {m["model"]: m["calls"] for m in body["by_model"]} == {"gpt-4o": 1, "gpt-4o-mini": 5}
    assert {s["service"]: s["total_tokens"] for s in body["by_service"]} == {
        "ai_reply": 120,
        "assistant": 15,
        "ai_agent": 330,
    }
    assert [(d["day"], d["calls"]) for d in body["by_day"]] == [
        ("2026-10-01", 3),
        ("2026-10-02", 3),
    ]


async def test_usage_summary_of_an_empty_month_is_zeros(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any
) -> None:
    wid = (await new_workspace(await new_user()))["id"]
    body = (await client.get(f"/api/admin/workspaces/{wid}/usage", headers=admin.headers)).json()
    assert body["totals"]["calls"] == 0 and body["totals"]["cost_usd"] == 0
    assert body["by_model"] == body["by_service"] == body["by_day"] == []
    assert body["from"].endswith("-01")


async def test_usage_summary_rejects_from_after_to_and_unknown_workspaces(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any
) -> None:
    wid = (await new_workspace(await new_user()))["id"]
    backwards = await client.get(
        f"/api/admin/workspaces/{wid}/usage",
        params={"from": "2026-10-05", "to": "2026-10-01"},
        headers=admin.headers,
    )
    assert backwards.status_code == 422
    unknown = await client.get(f"/api/admin/workspaces/{uuid.uuid4()}/usage", headers=admin.headers)
    assert unknown.status_code == 404


async def test_usage_summary_needs_the_admin_role_but_members_have_their_own_route(
    client: httpx.AsyncClient, new_user: Any, new_workspace: Any
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    admin_route = await client.get(f"/api/admin/workspaces/{wid}/usage", headers=owner.headers)
    assert admin_route.status_code == 403
    own = await client.get(f"/api/workspaces/{wid}/usage", headers=owner.headers)
    assert own.status_code == 200 and own.json()["workspace_id"] == wid


async def test_usage_counters_are_readable_by_members(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, postgres_url: str
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    conn = await connect(postgres_url)
    try:
        await conn.execute(
            """INSERT INTO core.usage_counters (workspace_id, metric, period, count)
               VALUES ($1, 'ai_tokens', '2026-11', 1234), ($1, 'ai_tokens', '2026-10', 5)""",
            uuid.UUID(wid),
        )
    finally:
        await conn.close()
    response = await client.get(
        f"/api/workspaces/{wid}/usage-counters", params={"period": "2026-11"}, headers=owner.headers
    )
    assert [(c["metric"], c["count"]) for c in response.json()["items"]] == [("ai_tokens", 1234)]
    everything = await client.get(
        f"/api/admin/workspaces/{wid}/usage-counters", headers=admin.headers
    )
    assert len(everything.json()["items"]) == 2


async def test_usage_counters_page_through_every_counter_once(
    client: httpx.AsyncClient, admin: Any, new_user: Any, new_workspace: Any, postgres_url: str
) -> None:
    owner = await new_user()
    wid = (await new_workspace(owner))["id"]
    metrics = [f"metric_{n:02d}" for n in range(7)]
    conn = await connect(postgres_url)
    try:
        await conn.executemany(
            """INSERT INTO core.usage_counters (workspace_id, metric, period, count)
               VALUES ($1, $2, '2026-11', 1)""",
            [(uuid.UUID(wid), metric) for metric in metrics],
        )
    finally:
        await conn.close()
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = await client.get(
            f"/api/workspaces/{wid}/usage-counters", params=params, headers=owner.headers
        )
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [c["metric"] for c in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == metrics
    assert pages == 3


async def test_admin_adds_model_price_versions(client: httpx.AsyncClient, admin: Any) -> None:
    model = f"gpt-test-{uuid.uuid4().hex[:6]}"
    price = {
        "model": model,
        "effective_from": "2026-01-01",
        "input": "0.15",
        "cached_input": "0.075",
        "output": "0.60",
    }
    first = await client.post("/api/admin/model-prices", json=price, headers=admin.headers)
    assert first.status_code == 201
    assert first.json() | {"id": None, "created_at": None} == {
        "id": None,
        "created_at": None,
        "model": model,
        "effective_from": "2026-01-01",
        "service_tier": "default",
        "input": "0.15",
        "cached_input": "0.075",
        "output": "0.6",
        "reasoning": None,
        "cache_write": None,
        "audio_input": None,
        "audio_output": None,
        "source": "admin",
    }
    dup = await client.post("/api/admin/model-prices", json=price, headers=admin.headers)
    assert dup.status_code == 409
    newer = await client.post(
        "/api/admin/model-prices",
        json=price | {"effective_from": "2026-06-01", "output": "0.5"},
        headers=admin.headers,
    )
    assert newer.status_code == 201
    listed = (
        await client.get(
            "/api/admin/model-prices", params={"model": model, "limit": 1}, headers=admin.headers
        )
    ).json()
    assert [p["effective_from"] for p in listed["items"]] == ["2026-01-01"]
    rest = (
        await client.get(
            "/api/admin/model-prices",
            params={"model": model, "cursor": listed["next_cursor"]},
            headers=admin.headers,
        )
    ).json()
    assert [p["effective_from"] for p in rest["items"]] == ["2026-06-01"]
    assert rest["next_cursor"] is None


async def test_a_price_version_per_served_tier_on_the_same_date(
    client: httpx.AsyncClient, admin: Any
) -> None:
    model = f"gpt-test-{uuid.uuid4().hex[:6]}"
    standard = {
        "model": model,
        "effective_from": "2026-01-01",
        "input": "2",
        "cached_input": "0.5",
        "output": "8",
        "audio_input": "40",
    }
    batch = standard | {"service_tier": "batch", "input": "1", "output": "4"}
    # Clients written before tiers still send the column-style names.
    older_client = {
        "model": model,
        "effective_from": "2026-01-01",
        "service_tier": "priority",
        "input_per_mtok": 3.5,
        "cached_input_per_mtok": 0.875,
        "output_per_mtok": 14,
    }
    for body in (standard, batch, older_client):
        added = await client.post("/api/admin/model-prices", json=body, headers=admin.headers)
        assert added.status_code == 201, added.text
    bad_tier = standard | {"service_tier": "Not A Tier"}
    refused = await client.post("/api/admin/model-prices", json=bad_tier, headers=admin.headers)
    assert refused.status_code == 422

    listed = (
        await client.get("/api/admin/model-prices", params={"model": model}, headers=admin.headers)
    ).json()["items"]
    assert [(p["service_tier"], p["input"], p["audio_input"]) for p in listed] == [
        ("batch", "1", "40"),
        ("default", "2", "40"),
        ("priority", "3.5", None),
    ]
