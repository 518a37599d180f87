"""bench-ingest --history N: the ingest rate with an empty usage table and
with N rows of history, in one run (imported by bench/ingest.py).

Two databases get the same workspaces and the same monthly partitions (the
past year's and the ones ahead); the second one's ``core.openai_usage`` is
filled with N calls spread over the past year by one ``INSERT … SELECT
generate_series``, VACUUMed and ANALYZEd. Each round (``--history-rounds``) publishes
a stream of new events on a topic of its own, then ingests it into each
database with a fresh consumer group, both databases' rollups emptied first
and the empty one's calls too: the same events and the same rollups, so the
rates compare the history's cost alone.
"""

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sendfx_dev.databases import role_url
from sendfx_dev.ownership import USAGE_INGESTOR
from sendfx_shared.postgres import connect
from usage_ingestor.app import Ingestor, running
from usage_ingestor.settings import IngestorSettings

HISTORY_SOURCE = "/bench/history"
Rows = list[tuple[str, str]]

# The past 12 months' partitions (and this one's), made by the ingestor's role
# as its upkeep would have made them over the year.
_MONTHS = """
SELECT core.usage_create_month((date_trunc('month', now() AT TIME ZONE 'UTC')
    - make_interval(months => n))::date)
FROM generate_series(0, 12) AS n
"""
# md5-derived ids: gen_random_uuid() reads /dev/urandom per row on this build.
_FILL = """
INSERT INTO core.openai_usage (id, event_source, event_id, workspace_id, service, model,
    request_id, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens,
    total_tokens, latency_ms, occurred_at, cost_usd)
SELECT md5(g::text)::uuid, $3, 'h-' || g, ($1::uuid[])[1 + g % cardinality($1::uuid[])],
    (ARRAY['ai_reply', 'ai_agent', 'assistant'])[1 + g % 3],
    (ARRAY['gpt-4o-mini-2024-07-18', 'gpt-4o', 'gpt-4.1-mini'])[1 + g % 3],
    'chatcmpl-' || g, 1000 + g % 3000, 0, 100 + g % 700, 0, 1100 + g % 3000 + g % 700, 900,
    now() - make_interval(secs => (g::float8 / $2) * 365 * 86400), 0.0001
FROM generate_series(1, $2::bigint) AS g
"""


async def prepare(url: str, workspaces: list[uuid.UUID], history: int) -> float:
    """The partitions, then ``history`` rows (if any), VACUUM and ANALYZE; the
    fill's seconds."""
    conn = await connect(role_url(url, USAGE_INGESTOR))
    try:
        await conn.execute(_MONTHS)
        started = time.perf_counter()
        if history:
            await conn.execute(_FILL, workspaces, history, HISTORY_SOURCE, timeout=None)
            # VACUUM too: else autovacuum would visit the freshly filled
            # partitions during the measurement, on the same two cores.
            await conn.execute("VACUUM (ANALYZE) core.openai_usage", timeout=None)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def reset(url: str, calls: bool) -> None:
    """The rollups, counters and thresholds emptied, and the calls if ``calls``."""
    conn = await connect(role_url(url, USAGE_INGESTOR))
    try:
        await conn.execute(
            "TRUNCATE core.usage_hourly, core.usage_counters, core.usage_thresholds_sent,"
            " core.usage_outbox" + (", core.openai_usage" if calls else "")
        )
    finally:
        await conn.close()


async def checkpoint(admin_url: str) -> None:
    """Before each phase: the fill's (or the last phase's) dirty pages written
    out, and each phase pays the same full-page images after a checkpoint."""
    conn = await connect(admin_url)
    try:
        await conn.execute("CHECKPOINT", timeout=None)
    finally:
        await conn.close()


async def ingest_rate(
    settings: IngestorSettings,
    total: int,
    done: Callable[[Ingestor], int],
    until: Callable[[Callable[[], bool]], Awaitable[None]],
) -> tuple[float, dict[str, Any]]:
    """events/s from the group's assignment to the last batch committed."""
    async with running(settings) as ingestor:
        await ingestor.wait_assigned()
        started = time.perf_counter()
        await until(lambda: done(ingestor) >= total)
        elapsed = time.perf_counter() - started
        return total / elapsed, dict(vars(ingestor.batches.stats))


def rows(
    history: int,
    fill_seconds: float,
    measured: tuple[dict[str, list[float]], dict[str, list[float]]],
    counts: list[dict[str, Any]],
) -> Rows:
    """Every round's rate (empty first in even rounds, history first in odd
    ones), and the ratio of the best of each: the least disturbed by the
    machine's other load."""
    rates, writing = measured
    empty, full = max(rates["empty"]), max(rates["history"])
    return [
        ("history rows (past year)", f"{history:,}"),
        ("  fill + VACUUM ANALYZE (s)", f"{fill_seconds:.1f}"),
        (
            "ingest, empty table, per round (events/s)",
            " / ".join(f"{r:,.0f}" for r in rates["empty"]),
        ),
        (
            f"ingest, {history:,} rows of history, per round (events/s)",
            " / ".join(f"{r:,.0f}" for r in rates["history"]),
        ),
        (
            "  seconds in the database, empty / history, per round",
            " / ".join(f"{e:.2f} vs {h:.2f}" for e, h in zip(*writing.values(), strict=True)),
        ),
        ("best with history / best empty", f"{full:,.0f} / {empty:,.0f} = {full / empty:.1%}"),
        *(
            (f"  rows inserted ({name})", f"{c['rows']:,}")
            for name, c in zip(("empty", "history"), counts, strict=True)
        ),
    ]
