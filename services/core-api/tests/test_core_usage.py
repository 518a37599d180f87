"""Usage counters and model prices (the usage summary moved to usage-ingestor:
services/usage-ingestor/tests/test_ingestor_summary.py)."""

import uuid
from typing import Any

import httpx

from sendfx_shared.postgres import connect


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
