"""GET /api/admin/workspaces/{id}/usage: the summary from the hourly rollup,
in any time zone's days, with the by-service-tier breakdown."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from usage_ingestor.app import Ingestor

from .support import bearer, create_workspace, http_client, ingest, usage_event


@pytest.fixture(scope="module")
async def client(ingestor: Ingestor) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(ingestor) as started:
        yield started


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def summary(
    client: httpx.AsyncClient, ingestor: Ingestor, workspace: uuid.UUID, **params: str
) -> httpx.Response:
    return await client.get(
        f"/api/admin/workspaces/{workspace}/usage", params=params, headers=bearer(ingestor)
    )


async def test_usage_summary_totals_and_breakdowns(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    call = {"prompt": 1_000_000, "cached": 0, "completion": 0}
    await ingest(
        pool,
        [
            usage_event(workspace, model="m1", occurred_at=at(1, 9), **call),
            usage_event(workspace, model="m1", occurred_at=at(1, 23, 59), batch=True, **call),
            usage_event(workspace, model="m1", occurred_at=at(2, 0), service="assistant", **call),
            usage_event(workspace, model="m1", occurred_at=at(2, 1), service_tier="priority"),
            usage_event(workspace, model="other", occurred_at=at(2, 2), usage_missing=True),
            usage_event(workspace, model="m1", occurred_at=at(1, 9, month=11), **call),
        ],
    )

    response = await summary(
        client, ingestor, workspace, **{"from": "2026-10-01", "to": "2026-10-31"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["tz"]) == ("2026-10-01", "2026-10-31", "UTC")
    assert body["totals"] == {
        "calls": 5,
        "prompt_tokens": 3_001_200,
        "cached_tokens": 1024,
        "completion_tokens": 300,
        "reasoning_tokens": 0,
        "total_tokens": 3_001_500,
        "cache_write_tokens": 0,
        "audio_prompt_tokens": 0,
        "audio_completion_tokens": 0,
        "cost_usd": 2.5,  # 1 + 0.5 (batch) + 1; priority has no rate: unpriced
        "unpriced_calls": 2,
        "usage_missing_calls": 1,
    }
    assert {m["model"]: m["calls"] for m in body["by_model"]} == {"m1": 4, "other": 1}
    assert {s["service"]: s["calls"] for s in body["by_service"]} == {"ai_reply": 4, "assistant": 1}
    assert {t["service_tier"]: (t["calls"], t["cost_usd"]) for t in body["by_service_tier"]} == {
        "batch": (1, 0.5),
        "default": (3, 2.0),
        "priority": (1, 0),
    }
    assert [(d["day"], d["calls"]) for d in body["by_day"]] == [
        ("2026-10-01", 2),
        ("2026-10-02", 3),
    ]


async def test_days_are_the_time_zones_days_even_at_half_hour_offsets(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    # India is UTC+05:30: its 2 October starts at 18:30 UTC on 1 October, in
    # the middle of a UTC hour.
    times = [at(1, 18, 20), at(1, 18, 40), at(1, 19, 5), at(2, 18, 31)]
    await ingest(pool, [usage_event(workspace, model="m1", occurred_at=t) for t in times])

    kolkata = (
        await summary(
            client,
            ingestor,
            workspace,
            **{"from": "2026-10-01", "to": "2026-10-03"},
            tz="Asia/Kolkata",
        )
    ).json()
    new_york = (
        await summary(
            client,
            ingestor,
            workspace,
            **{"from": "2026-10-01", "to": "2026-10-03"},
            tz="America/New_York",
        )
    ).json()

    assert [(d["day"], d["calls"]) for d in kolkata["by_day"]] == [
        ("2026-10-01", 1),
        ("2026-10-02", 2),
        ("2026-10-03", 1),
    ]
    assert kolkata["totals"]["calls"] == new_york["totals"]["calls"] == 4
    assert [(d["day"], d["calls"]) for d in new_york["by_day"]] == [
        ("2026-10-01", 3),
        ("2026-10-02", 1),
    ]


async def test_an_empty_month_is_zeros(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    body = (await summary(client, ingestor, await create_workspace(pool))).json()
    assert body["totals"]["calls"] == 0 and body["totals"]["cost_usd"] == 0
    assert body["by_model"] == body["by_service"] == body["by_service_tier"] == []
    assert body["by_day"] == [] and body["from"].endswith("-01")


async def test_refusals(client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool) -> None:
    workspace = await create_workspace(pool)
    backwards = await summary(
        client, ingestor, workspace, **{"from": "2026-10-05", "to": "2026-10-01"}
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("application/problem+json")
    nowhere = await summary(client, ingestor, workspace, tz="Mars/Olympus_Mons")
    assert nowhere.status_code == 422 and "IANA" in nowhere.json()["detail"]
    unknown = await summary(client, ingestor, uuid.uuid4())
    assert unknown.status_code == 404
    url = f"/api/admin/workspaces/{workspace}/usage"
    assert (await client.get(url, headers=bearer(ingestor, "user"))).status_code == 403
    assert (await client.get(url)).status_code == 401
