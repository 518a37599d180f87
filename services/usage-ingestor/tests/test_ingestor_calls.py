"""GET /api/admin/workspaces/{id}/usage/calls: cursor pages and the CSV export."""

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import httpx
import pytest

from usage_ingestor.app import Ingestor

from .support import bearer, create_workspace, http_client, ingest, usage_event


@pytest.fixture(scope="module")
async def client(ingestor: Ingestor) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(ingestor) as started:
        yield started


def calls_url(workspace: uuid.UUID) -> str:
    return f"/api/admin/workspaces/{workspace}/usage/calls"


async def test_the_calls_come_in_cursor_pages_oldest_first(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    start = datetime(2026, 10, 1, 21, 0, tzinfo=UTC)
    # Two share an instant: the id orders them, and no page repeats or skips one.
    times = [start + timedelta(minutes=50 * i) for i in range(6)] + [start]
    events = [usage_event(workspace, model="m1", occurred_at=t) for t in times]
    events.append(usage_event(workspace, model="m1", occurred_at=start, batch=True))
    await ingest(pool, events)

    seen: list[dict[str, object]] = []
    cursor = None
    pages = 0
    while True:
        params = {"from": "2026-10-01", "to": "2026-10-02", "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(calls_url(workspace), params=params, headers=bearer(ingestor))
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 3 and len(seen) == 8
    assert [s["occurred_at"] for s in seen] == sorted(s["occurred_at"] for s in seen)
    assert len({s["id"] for s in seen}) == 8
    first = seen[0]
    assert {k: first[k] for k in ("model", "service", "service_tier", "unpriced")} == {
        "model": "m1",
        "service": "ai_reply",
        "service_tier": "default",
        "unpriced": False,
    }
    assert {s["batch"] for s in seen} == {False, True}
    # 2 October in Tokyo (UTC+9) begins at 15:00 UTC on the 1st: every call is in it.
    tokyo = await client.get(
        calls_url(workspace),
        params={"from": "2026-10-02", "to": "2026-10-02", "tz": "Asia/Tokyo", "limit": "50"},
        headers=bearer(ingestor),
    )
    assert len(tokyo.json()["items"]) == 8
    garbled = await client.get(
        calls_url(workspace), params={"cursor": "bm9wZQ"}, headers=bearer(ingestor)
    )
    assert garbled.status_code == 400


async def test_the_whole_range_as_csv(
    client: httpx.AsyncClient, ingestor: Ingestor, pool: asyncpg.Pool
) -> None:
    workspace = await create_workspace(pool)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    n = 4_500  # more than one chunk of the export
    events = [
        usage_event(workspace, model="m1", occurred_at=start + timedelta(seconds=30 * i))
        for i in range(n)
    ]
    events.append(usage_event(workspace, model="unknown-model", occurred_at=start))
    await ingest(pool, events)

    response = await client.get(
        calls_url(workspace),
        params={"from": "2026-09-01", "to": "2026-09-30"},
        headers={**bearer(ingestor), "Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == n + 1
    assert list(rows[0]) == [
        "id", "occurred_at", "model", "service", "service_tier", "batch", "prompt_tokens",
        "cached_tokens", "cache_write_tokens", "audio_prompt_tokens", "completion_tokens",
        "reasoning_tokens", "audio_completion_tokens", "total_tokens", "cost_usd", "unpriced",
        "usage_missing", "request_id", "user_id",
    ]  # fmt: skip
    assert [r["occurred_at"] for r in rows] == sorted(r["occurred_at"] for r in rows)
    unpriced = [r for r in rows if r["model"] == "unknown-model"]
    assert [(r["cost_usd"], r["unpriced"]) for r in unpriced] == [("", "true")]
    # (1200 - 1024) x $1 + 1024 x $0.5 + 300 x $2, per 1M tokens: exact, no float.
    priced = rows[-1]
    assert Decimal(priced["cost_usd"]) == Decimal("0.001288")
    assert priced["occurred_at"].endswith("Z") and priced["batch"] == "false"

    unknown = await client.get(
        calls_url(uuid.uuid4()), headers={**bearer(ingestor), "Accept": "text/csv"}
    )
    assert unknown.status_code == 404
