"""One transaction per batch: usage rows, counters, hourly rollup, quota thresholds.

Everything is derived from the rows the ``INSERT … ON CONFLICT DO NOTHING``
actually inserted, so a redelivered event (same CloudEvent ``source`` and
``id``, and so the same ``occurred_at``) changes nothing. The batch is copied
into a staging table, then one statement writes everything: the round trips
and the planning cost do not grow with the batch.
"""

import json
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from asyncpg.pgproto.pgproto import UUID as WireUUID

from sendfx_shared.events.core import (
    USAGE_INGESTOR_SOURCE,
    USAGE_THRESHOLD_CROSSED,
    UsageThresholdCrossed,
)
from sendfx_shared.events.envelope import new_event
from sendfx_shared.outbox.postgres import PostgresOutbox, enqueue_many
from sendfx_shared.topics import CORE_EVENTS
from usage_ingestor.db import Connection
from usage_ingestor.price_book import PriceBook
from usage_ingestor.validation import UsageEvent

# usage-ingestor's own outbox (migrations/0003), relayed by usage-ingestor only.
USAGE_OUTBOX: Final = PostgresOutbox(
    table="core.usage_outbox",
    dead_table="core.usage_outbox_dead",
    channel="usage_outbox",
    lock_key=0x5553424F,  # "USBO"
)
METRIC_AI_TOKENS: Final = "ai_tokens"
METRIC_AI_CALLS: Final = "ai_calls"
# Deterministic ids for threshold events, so a consumer can dedupe them too.
_THRESHOLD_NAMESPACE: Final = uuid.UUID("6a0e5d3c-2f1b-4c8e-9a57-0b1d2e3f4a5b")

# The batch reaches PostgreSQL by binary COPY into a session-local staging
# table: asyncpg encodes a row tuple per event in C, where a query with one
# array per column made it check every element of every array against
# collections.abc (about half the ingestor's encoding CPU). Created once per
# connection; ON COMMIT DELETE ROWS empties it with each batch's commit, and a
# rolled-back batch's rows are never visible.
_STAGE: Final = "usage_ingest_batch"
_STAGE_COLUMNS: Final = (
    ("event_source", "text"),
    ("event_id", "text"),
    ("workspace_id", "uuid"),
    ("user_id", "uuid"),
    ("service", "text"),
    ("model", "text"),
    ("request_id", "text"),
    ("prompt_tokens", "int8"),
    ("cached_tokens", "int8"),
    ("completion_tokens", "int8"),
    ("reasoning_tokens", "int8"),
    ("total_tokens", "int8"),
    ("usage_missing", "bool"),
    ("latency_ms", "int4"),
    ("occurred_at", "timestamptz"),
    ("service_tier", "text"),
    ("batch", "bool"),
    ("cache_write_tokens", "int8"),
    ("audio_prompt_tokens", "int8"),
    ("audio_completion_tokens", "int8"),
    ("cost_units", "int8"),
    ("price_id", "uuid"),
    ("unpriced", "bool"),
    ("id", "uuid"),
    ("big_cost", "numeric"),
)
_CREATE_STAGE: Final = (
    f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ("
    + ", ".join(f"{name} {kind}" for name, kind in _STAGE_COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)

_WRITE_BATCH: Final = f"""
WITH batch AS (
    SELECT * FROM pg_temp.{_STAGE}
), inserted AS (
    INSERT INTO core.openai_usage (event_source, event_id, workspace_id, user_id, service,
        model, request_id, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens,
        total_tokens, usage_missing, latency_ms, occurred_at, service_tier, batch,
        cache_write_tokens, audio_prompt_tokens, audio_completion_tokens, cost_usd, price_id,
        unpriced, id)
    -- The cost travels as an integer count of 1e-10 USD (numeric(20, 10)'s
    -- quantum): exact, and far cheaper to make and send than a Decimal. The
    -- rare cost beyond int8 (about $922M) comes as a Decimal in big_cost.
    SELECT event_source, event_id, workspace_id, user_id, service, model, request_id,
        prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, total_tokens,
        usage_missing, latency_ms, occurred_at, service_tier, batch, cache_write_tokens,
        audio_prompt_tokens, audio_completion_tokens,
        coalesce(cost_units * 0.0000000001, big_cost),
        price_id, unpriced, id
    FROM batch
    -- The key holds occurred_at, the partition column (migration 0050): every
    -- copy of an event carries the occurred_at of the first.
    ON CONFLICT (event_source, event_id, occurred_at) DO NOTHING
    RETURNING workspace_id, model, service, service_tier, batch, occurred_at, prompt_tokens,
        cached_tokens, completion_tokens, reasoning_tokens, total_tokens, cache_write_tokens,
        audio_prompt_tokens, audio_completion_tokens, cost_usd, unpriced, usage_missing
), hourly AS (
    INSERT INTO core.usage_hourly AS h (workspace_id, hour, model, service, service_tier,
        calls, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens, total_tokens,
        cache_write_tokens, audio_prompt_tokens, audio_completion_tokens, cost_usd,
        unpriced_calls, usage_missing_calls)
    -- The hour in UTC whatever the session's TimeZone; the tier the call was
    -- priced at (pricing: a Batch API call at the batch rates).
    SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC'), model, service,
        CASE WHEN batch THEN 'batch' ELSE service_tier END, count(*),
        sum(prompt_tokens), sum(cached_tokens), sum(completion_tokens), sum(reasoning_tokens),
        sum(total_tokens), sum(cache_write_tokens), sum(audio_prompt_tokens),
        sum(audio_completion_tokens), coalesce(sum(cost_usd), 0),
        count(*) FILTER (WHERE unpriced), count(*) FILTER (WHERE usage_missing)
    FROM inserted
    GROUP BY 1, 2, 3, 4, 5
    -- A stable lock order keeps concurrent ingestors from deadlocking.
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (workspace_id, hour, model, service, service_tier) DO UPDATE SET
        calls = h.calls + EXCLUDED.calls,
        prompt_tokens = h.prompt_tokens + EXCLUDED.prompt_tokens,
        cached_tokens = h.cached_tokens + EXCLUDED.cached_tokens,
        completion_tokens = h.completion_tokens + EXCLUDED.completion_tokens,
        reasoning_tokens = h.reasoning_tokens + EXCLUDED.reasoning_tokens,
        total_tokens = h.total_tokens + EXCLUDED.total_tokens,
        cache_write_tokens = h.cache_write_tokens + EXCLUDED.cache_write_tokens,
        audio_prompt_tokens = h.audio_prompt_tokens + EXCLUDED.audio_prompt_tokens,
        audio_completion_tokens = h.audio_completion_tokens + EXCLUDED.audio_completion_tokens,
        cost_usd = h.cost_usd + EXCLUDED.cost_usd,
        unpriced_calls = h.unpriced_calls + EXCLUDED.unpriced_calls,
        usage_missing_calls = h.usage_missing_calls + EXCLUDED.usage_missing_calls,
        updated_at = now()
), monthly AS (
    SELECT i.workspace_id, to_char(i.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS period,
        count(*) AS calls, sum(i.total_tokens) AS tokens
    FROM inserted i
    GROUP BY 1, 2
), counters AS (
    INSERT INTO core.usage_counters AS c (workspace_id, metric, period, count)
    SELECT m.workspace_id, k.metric, m.period,
        CASE k.metric WHEN '{METRIC_AI_TOKENS}' THEN m.tokens ELSE m.calls END
    FROM monthly m CROSS JOIN (VALUES ('{METRIC_AI_CALLS}'), ('{METRIC_AI_TOKENS}')) AS k(metric)
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, metric, period) DO UPDATE
        SET count = c.count + EXCLUDED.count, updated_at = now()
    RETURNING workspace_id, metric, period, count
), crossed AS (
    INSERT INTO core.usage_thresholds_sent (workspace_id, period, threshold_percent,
        tokens_used, token_limit)
    -- The limit is what core.events last said of the workspace (quotas.py);
    -- a workspace not announced yet crosses nothing until it is.
    SELECT c.workspace_id, c.period, t.percent, c.count, q.ai_tokens_monthly
    FROM counters c
    JOIN core.usage_workspace_quotas q ON q.workspace_id = c.workspace_id AND NOT q.deleted
    CROSS JOIN (VALUES (80), (100)) AS t(percent)
    WHERE c.metric = '{METRIC_AI_TOKENS}' AND c.count > 0
      AND q.ai_tokens_monthly IS NOT NULL
      -- numeric: a huge "practically unlimited" limit must not overflow bigint
      AND c.count::numeric * 100 >= q.ai_tokens_monthly::numeric * t.percent
    ORDER BY 1, 2, 3
    ON CONFLICT (workspace_id, period, threshold_percent) DO NOTHING
    RETURNING workspace_id, period, threshold_percent, tokens_used, token_limit
)
SELECT (SELECT count(*) FROM inserted) AS inserted,
    (SELECT count(*) FROM inserted WHERE unpriced) AS unpriced,
    (SELECT coalesce(json_agg(json_build_object(
        'workspace_id', x.workspace_id, 'period', x.period,
        'threshold_percent', x.threshold_percent, 'tokens_used', x.tokens_used,
        'limit', x.token_limit, 'tier_code', q.tier_code)
        ORDER BY x.workspace_id, x.period, x.threshold_percent), '[]'::json)::text
     FROM crossed x
     JOIN core.usage_workspace_quotas q ON q.workspace_id = x.workspace_id) AS crossed
"""


@dataclass(frozen=True, slots=True)
class BatchResult:
    inserted: int
    thresholds: list[UsageThresholdCrossed]
    unpriced: int = 0


class UsageColumns:
    """The batch as the rows COPY takes (in ``_STAGE_COLUMNS`` order, but for
    ``id``, drawn when the batch is written, and ``big_cost``, kept last)."""

    __slots__ = ("keys", "rows")

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()
        self.rows: list[tuple[Any, ...]] = []

    @classmethod
    def of(cls, events: Iterable[UsageEvent], book: PriceBook) -> "UsageColumns":
        columns = cls()
        for event in events:
            columns.add(event, book)
        return columns

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, event: UsageEvent, book: PriceBook) -> bool:
        """False when the batch already holds this event (a duplicate)."""
        key = (event.source, event.id)
        if key in self.keys:
            return False
        call = event.data
        cost, price_id = book.cost_units(call)
        unpriced = cost is None
        big_cost = None
        if cost is not None and cost > _MAX_INT8:
            big_cost = Decimal(cost).scaleb(-10)
            cost = None
        self.keys.add(key)
        self.rows.append(
            (
                event.source,
                event.id,
                call.workspace_id,
                call.user_id,
                call.service,
                call.model,
                call.request_id,
                call.prompt_tokens,
                call.cached_tokens,
                call.completion_tokens,
                call.reasoning_tokens,
                call.effective_total_tokens,
                call.usage_missing,
                call.latency_ms,
                call.occurred_at,
                call.service_tier,
                call.batch,
                call.cache_write_tokens,
                call.audio_prompt_tokens,
                call.audio_completion_tokens,
                cost,
                price_id,
                unpriced,
                big_cost,
            )
        )
        return True

    def records(self) -> list[tuple[Any, ...]]:
        """The rows with a fresh ``id`` each, in ``_STAGE_COLUMNS`` order."""
        ids = time_ordered_uuids(len(self.rows))
        return [(*row[:-1], uid, row[-1]) for row, uid in zip(self.rows, ids, strict=True)]


_MAX_INT8: Final = 2**63 - 1
_V7_KEEP: Final = b"\x00" * 6 + b"\x0f\xff\x3f" + b"\xff" * 7
_V7_SET: Final = b"\x70\x00\x80" + b"\x00" * 7


def time_ordered_uuids(count: int) -> list[WireUUID]:
    """``count`` version 7 UUIDs for ``openai_usage.id``: the Unix time in
    milliseconds, then random bits, from one read of the OS's random source.
    Ids that grow with time add to the right edge of the primary key's index
    (PostgreSQL's fast path for the rightmost leaf), where random ones landed
    on any leaf and split pages all over it. The column's default,
    ``gen_random_uuid()``, opens, reads and closes ``/dev/urandom`` for every
    row on this PostgreSQL build: over a tenth of the server's CPU per event."""
    raw = os.urandom(16 * count)
    stamp = (time.time_ns() // 1_000_000).to_bytes(6, "big")
    keep = int.from_bytes(_V7_KEEP * count, "big")
    bits = int.from_bytes((stamp + _V7_SET) * count, "big")
    blob = ((int.from_bytes(raw, "big") & keep) | bits).to_bytes(16 * count, "big")
    return [WireUUID(blob[i : i + 16]) for i in range(0, 16 * count, 16)]


def threshold_event_id(crossed: UsageThresholdCrossed) -> str:
    name = f"{crossed.workspace_id}/{crossed.period}/{crossed.threshold_percent}"
    return str(uuid.uuid5(_THRESHOLD_NAMESPACE, name))


async def _announce(conn: Connection, crossed: list[UsageThresholdCrossed]) -> None:
    events = [
        new_event(
            source=USAGE_INGESTOR_SOURCE,
            type=USAGE_THRESHOLD_CROSSED,
            data=item,
            subject=str(item.workspace_id),
            event_id=threshold_event_id(item),
        )
        for item in crossed
    ]
    await enqueue_many(
        conn,
        USAGE_OUTBOX,
        topic=CORE_EVENTS,
        events=[(str(c.workspace_id), e) for c, e in zip(crossed, events, strict=True)],
    )


async def write_batch(conn: Connection, columns: UsageColumns) -> BatchResult:
    """Writes the batch and its effects in one transaction."""
    if not len(columns):
        return BatchResult(0, [])
    # Deliberately NOT ``SET LOCAL synchronous_commit = off``: the Kafka offset
    # is committed as soon as this commit returns, and an asynchronous commit
    # can still be lost if PostgreSQL crashes a moment later. The offset would
    # then be past events that are in no row, and nothing would redeliver them:
    # a lost event, which the unique key cannot absorb (it only absorbs
    # redeliveries). Durable commit is what lets the offset move.
    async with conn.transaction():
        await conn.execute(_CREATE_STAGE)
        await conn.copy_records_to_table(
            _STAGE,
            schema_name="pg_temp",
            records=columns.records(),
            columns=[name for name, _ in _STAGE_COLUMNS],
        )
        row = await conn.fetchrow(_WRITE_BATCH)
        assert row is not None
        crossed = [
            UsageThresholdCrossed.model_validate(item) for item in json.loads(row["crossed"])
        ]
        if crossed:
            await _announce(conn, crossed)
    return BatchResult(int(row["inserted"]), crossed, int(row["unpriced"]))
